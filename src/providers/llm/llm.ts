/**
 * A chat model that streams. Vendor-free: the OpenAI-compatible wire format lives in
 * openai-chat.ts; the brain only sees these types.
 */

/** A tool call the model made, assembled from its streamed fragments. */
export interface ToolCall {
  /** The model's id for the call; tool results must quote it. */
  readonly id: string;
  readonly name: string;
  /** The arguments as parsed JSON ({} when the model sent none); undefined when `invalid` is set. */
  readonly arguments: unknown;
  /** The argument text exactly as streamed (sent back verbatim in the next request). */
  readonly rawArguments: string;
  /** Set when the arguments were not valid JSON: the parse error, for telling the model. */
  readonly invalid?: string;
}

export type ChatMessage =
  | { readonly role: 'system'; readonly content: string }
  | { readonly role: 'user'; readonly content: string }
  | { readonly role: 'assistant'; readonly content: string; readonly toolCalls?: readonly ToolCall[] }
  | { readonly role: 'tool'; readonly toolCallId: string; readonly content: string };

/** A function the model may call; `parameters` is a JSON Schema object. */
export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly parameters: Readonly<Record<string, unknown>>;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call' | 'unknown';

export interface Usage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly totalTokens: number;
}

export interface StreamTiming {
  /** Request start to the first text or tool-call fragment; undefined when none came. */
  readonly firstTokenMs: number | undefined;
  /** Request start to the end of the stream. */
  readonly totalMs: number;
}

export type ChatDelta =
  /** Text to show or speak, as it streams (reasoning text is never included). */
  | { readonly type: 'text'; readonly text: string }
  /** One complete tool call, yielded once all its fragments arrived. */
  | { readonly type: 'tool-call'; readonly call: ToolCall }
  /** Token counts, when the server reports them. */
  | { readonly type: 'usage'; readonly usage: Usage }
  /** The last delta of a stream that ended normally. */
  | { readonly type: 'done'; readonly finishReason: FinishReason; readonly timing: StreamTiming };

export interface ChatModel {
  /** For logs and metrics, e.g. "openai-chat:llama3.2". */
  readonly name: string;
  /**
   * Streams one completion. Throws LlmError on failure (HTTP status, timeout, bad stream). Once
   * `signal` aborts, the request is cancelled and the iteration ends without another delta;
   * leaving the loop early (break) cancels the request too.
   */
  stream(
    messages: readonly ChatMessage[],
    tools: readonly ToolSpec[],
    signal: AbortSignal,
  ): AsyncIterable<ChatDelta>;
}
