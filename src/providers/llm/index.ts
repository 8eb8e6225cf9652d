export type {
  ChatDelta,
  ChatMessage,
  ChatModel,
  FinishReason,
  StreamTiming,
  ToolCall,
  ToolSpec,
  Usage,
} from './llm.js';
export { OpenAiChatModel, type OpenAiChatOptions } from './openai-chat.js';
export {
  ProviderError,
  RequestControl,
  errorFromResponse,
  isRetryableStatus,
  joinUrl,
  retryAfterMs,
  type ProviderErrorKind,
} from './http.js';
