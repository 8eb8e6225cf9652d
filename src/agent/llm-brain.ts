import { greetingFor } from '../business/index.js';
import type { Trade } from '../business/index.js';
import type { ChatDelta, ChatMessage, ChatModel, ToolCall } from '../providers/llm/index.js';
import type { Brain, BrainOutput, ConversationContext, TranscriptEntry, TurnInput } from './brain.js';
import { detectEmergency as rulesDetector, type EmergencyDetection } from './emergency.js';
import { buildMessages, speakable, ThinkFilter, turnText } from './llm-prompt.js';
import { expectedAfter } from './question-hint.js';
import { loadLlmState, noteOutput, type LlmState } from './llm-state.js';
import { runTool, toolSpecs, type TerminalOutput, type ToolEnv } from './llm-tools.js';
import { SentenceSplitter, splitSentences, type Logger } from '../shared/index.js';
import { noTools, type AgentTools } from './tools.js';

/**
 * The brain when an OpenAI-compatible chat model is configured: the model runs the conversation
 * with tool calls over the same AgentTools as the rules brain, and its text is spoken sentence by
 * sentence while it streams. Around it, what must not depend on a model:
 *   - every caller utterance goes through the rules emergency detector first; a hit is handled by
 *     the fallback (rules) brain, which alerts before it says anything;
 *   - a model that errors, or has produced nothing within `firstTokenTimeoutMs`, hands the turn
 *     to the fallback brain; only whole sentences are ever said, so the switch is clean;
 *   - silence and unintelligible turns go to the fallback too (it counts them and hangs up).
 */

export interface LlmBrainOptions {
  readonly model: ChatModel;
  /** Takes turns the model cannot (the rules brain, sharing the same tools). */
  readonly fallback: Brain;
  readonly tools?: AgentTools;
  /** The conversation's signal; writes that must survive a barge-in use it. */
  readonly lifetime?: AbortSignal;
  readonly logger?: Logger;
  /** No text or tool call from the model by then (per model request): fall back. Default 1500. */
  readonly firstTokenTimeoutMs?: number;
  /** Model requests per turn (tool round trips + 1). Default 4. */
  readonly maxRounds?: number;
  /** The emergency detector run on every utterance; default the rules detector. */
  readonly detectEmergency?: (text: string, trade: Trade) => EmergencyDetection | undefined;
  /** Per-turn figures, for the latency record and metrics. */
  readonly onTurn?: (m: LlmTurnMetrics) => void;
  /** Milliseconds clock; default performance.now. */
  readonly clock?: () => number;
}

export type FallbackReason =
  'error' | 'first-token-timeout' | 'emergency' | 'non-speech' | 'rounds-exhausted';

export interface LlmTurnMetrics {
  /** Turn start to the model's first text or tool call (first request). */
  firstTokenMs: number | undefined;
  /** Turn start to the first sentence handed on (from whichever brain spoke). */
  firstSayMs: number | undefined;
  /** Model requests made. */
  rounds: number;
  toolCalls: string[];
  /** Set when the fallback brain took (part of) the turn. */
  fallback: FallbackReason | undefined;
}

const DEFAULT_FIRST_TOKEN_MS = 1500;
const DEFAULT_MAX_ROUNDS = 4;

interface RoundResult {
  /** The model's text this round (as streamed, for the history). */
  text: string;
  calls: ToolCall[];
  /** Sentences said this round. */
  said: number;
  failure?: 'error' | 'first-token-timeout';
}

const TIMEOUT = Symbol('timeout');

export class LlmBrain implements Brain {
  /** The model's name; a turn the fallback took is still labelled with it (the model was asked first). */
  get name(): string {
    return this.opts.model.name;
  }
  private readonly tools: AgentTools;
  private readonly lifetime: AbortSignal;
  private readonly firstTokenMs: number;
  private readonly maxRounds: number;
  private readonly detect: (text: string, trade: Trade) => EmergencyDetection | undefined;
  private readonly clock: () => number;

  constructor(private readonly opts: LlmBrainOptions) {
    this.tools = opts.tools ?? noTools();
    this.lifetime = opts.lifetime ?? new AbortController().signal;
    this.firstTokenMs = opts.firstTokenTimeoutMs ?? DEFAULT_FIRST_TOKEN_MS;
    this.maxRounds = Math.max(1, opts.maxRounds ?? DEFAULT_MAX_ROUNDS);
    this.detect = opts.detectEmergency ?? rulesDetector;
    this.clock = opts.clock ?? (() => performance.now());
  }

  async *respond(turn: TurnInput, ctx: ConversationContext, signal: AbortSignal): AsyncIterable<BrainOutput> {
    if (signal.aborted) return;
    const st = loadLlmState(ctx.state);
    const m: LlmTurnMetrics = {
      firstTokenMs: undefined,
      firstSayMs: undefined,
      rounds: 0,
      toolCalls: [],
      fallback: undefined,
    };
    const t0 = this.clock();
    const mark = (out: BrainOutput): BrainOutput => {
      if (out.type === 'say') m.firstSayMs ??= this.clock() - t0;
      return out;
    };
    try {
      for await (const out of this.turn(turn, ctx, signal, st, m, t0)) {
        if (signal.aborted) return;
        yield mark(out);
      }
    } finally {
      this.opts.onTurn?.(m);
    }
  }

  private async *turn(
    turn: TurnInput,
    ctx: ConversationContext,
    signal: AbortSignal,
    st: LlmState,
    m: LlmTurnMetrics,
    t0: number,
  ): AsyncGenerator<BrainOutput> {
    if (turn.kind === 'call-started') {
      // The business's own greeting, at once: no model latency on pick-up.
      for (const s of splitSentences(
        greetingFor(ctx.business, { now: ctx.now, callerName: ctx.callerName }),
      )) {
        yield { type: 'say', text: s };
      }
      yield { type: 'listen', hint: 'open' };
      return;
    }
    if (
      turn.kind === 'no-input' ||
      turn.kind === 'unclear' ||
      (turn.kind === 'speech' && !turn.text.trim())
    ) {
      m.fallback = 'non-speech';
      yield* this.fallback(turn, ctx, signal, st);
      return;
    }
    if (turn.kind === 'speech') {
      const hit = this.detect(turn.text, ctx.business.trade);
      if (hit && !st.emergencies.includes(hit.category)) {
        m.fallback = 'emergency';
        yield* this.emergency(turn, ctx, signal, st, hit);
        return;
      }
    }
    yield* this.converse(turn, ctx, signal, st, m, t0);
  }

  /** The model's turn: rounds of streamed text and tool calls, tool results fed back. */
  private async *converse(
    turn: TurnInput,
    ctx: ConversationContext,
    signal: AbortSignal,
    st: LlmState,
    m: LlmTurnMetrics,
    t0: number,
  ): AsyncGenerator<BrainOutput> {
    const voice = ctx.channel === 'phone' || ctx.channel === 'web';
    const messages: ChatMessage[] = buildMessages(ctx, turn, st, { voice });
    const specs = toolSpecs(ctx.business);
    const env: ToolEnv = {
      ctx,
      st,
      tools: this.tools,
      signal,
      lifetime: this.lifetime,
      logger: this.opts.logger,
      callerText: turn.kind === 'speech' ? turn.text : '',
      transcript: withTurn(ctx, turn),
      voice,
    };
    let saidInTurn = 0;
    for (let round = 0; round < this.maxRounds; round++) {
      m.rounds += 1;
      const roundStart = this.clock();
      const onFirst = () => {
        if (round !== 0 || m.firstTokenMs !== undefined) return;
        m.firstTokenMs = this.clock() - t0;
        ctx.onFirstToken?.();
      };
      const r: RoundResult = yield* this.round(messages, specs, signal, onFirst, roundStart);
      if (signal.aborted) return;
      saidInTurn += r.said;
      if (r.failure) {
        if (r.said === 0) {
          // Nothing of this round was said: the fallback answers the turn as if from the start.
          m.fallback = r.failure;
          yield* this.fallback(turn, ctx, signal, st);
          return;
        }
        // Cut mid-answer: the whole sentences stand, the half one was never said.
        yield { type: 'listen', hint: 'open' };
        return;
      }
      if (r.calls.length === 0) {
        if (saidInTurn === 0) {
          m.fallback = 'error';
          this.opts.logger?.warn({ rounds: m.rounds }, 'the model answered with nothing; falling back');
          yield* this.fallback(turn, ctx, signal, st);
          return;
        }
        yield { type: 'listen', hint: expectedAfter(r.text) };
        return;
      }

      messages.push({ role: 'assistant', content: r.text, toolCalls: r.calls });
      let terminal: { out: TerminalOutput; closing: string | undefined } | undefined;
      for (const call of r.calls) {
        m.toolCalls.push(call.name);
        const outcome = await runTool(call, env);
        if (signal.aborted) return;
        for (const out of outcome.outputs) yield out;
        if (outcome.terminal && !terminal) terminal = { out: outcome.terminal, closing: outcome.closing };
        messages.push({ role: 'tool', toolCallId: call.id, content: JSON.stringify(outcome.result) });
      }
      if (terminal) {
        if (saidInTurn === 0 && terminal.closing)
          for (const s of splitSentences(terminal.closing)) yield { type: 'say', text: s };
        yield terminal.out;
        return;
      }
    }
    // The model kept calling tools: let the rules brain answer rather than loop.
    this.opts.logger?.warn({ rounds: m.rounds, tools: m.toolCalls }, 'the model used up its tool rounds');
    if (saidInTurn === 0) {
      m.fallback = 'rounds-exhausted';
      yield* this.fallback(turn, ctx, signal, st);
      return;
    }
    yield { type: 'listen', hint: 'open' };
  }

  /**
   * One model request. Sentences are yielded as soon as they are complete; a stream that fails
   * drops its unfinished sentence. The first text or tool call must come within the deadline.
   */
  private async *round(
    messages: readonly ChatMessage[],
    specs: ReturnType<typeof toolSpecs>,
    signal: AbortSignal,
    onFirst: () => void,
    started: number,
  ): AsyncGenerator<BrainOutput, RoundResult> {
    const ac = new AbortController();
    const stop = () => ac.abort();
    signal.addEventListener('abort', stop, { once: true });
    const it = this.opts.model.stream(messages, specs, ac.signal)[Symbol.asyncIterator]();
    const splitter = new SentenceSplitter();
    const think = new ThinkFilter();
    const res: RoundResult = { text: '', calls: [], said: 0 };
    let visible = false;
    let finish: string | undefined;
    const take = function* (sentences: readonly string[]): Generator<BrainOutput> {
      for (const s of sentences) {
        const clean = speakable(s);
        if (clean === '') continue;
        res.said += 1;
        yield { type: 'say', text: clean };
      }
    };
    try {
      for (;;) {
        let next: IteratorResult<ChatDelta> | typeof TIMEOUT;
        if (visible) next = await it.next();
        else {
          next = await withDeadline(it.next(), started + this.firstTokenMs - this.clock());
          if (next === TIMEOUT) {
            this.opts.logger?.warn(
              { ms: this.firstTokenMs, model: this.opts.model.name },
              'no first token in time',
            );
            res.failure = 'first-token-timeout';
            return res;
          }
        }
        if (signal.aborted) return res;
        if (next.done) break;
        const d = next.value;
        if (d.type === 'text') {
          const shown = think.push(d.text);
          if (shown === '') continue;
          if (!visible) onFirst();
          visible = true;
          res.text += shown;
          for (const out of take(splitter.push(shown))) {
            yield out;
            if (signal.aborted) return res;
          }
        } else if (d.type === 'tool-call') {
          if (!visible) onFirst();
          visible = true;
          res.calls.push(d.call);
        } else if (d.type === 'done') finish = d.finishReason;
      }
      const tail = think.flush();
      if (tail) {
        res.text += tail;
        for (const out of take(splitter.push(tail))) yield out;
      }
      // A reply cut by the token limit ends mid-sentence: that half is not said.
      if (finish !== 'length') for (const out of take(splitter.flush())) yield out;
      return res;
    } catch (err) {
      if (signal.aborted) return res;
      this.opts.logger?.warn({ err, model: this.opts.model.name }, 'the model failed');
      res.failure = 'error';
      return res;
    } finally {
      signal.removeEventListener('abort', stop);
      // Cancels the request if it is still running; the iterator ends on its own once aborted.
      ac.abort();
      void it.return?.()?.catch(() => {});
    }
  }

  /** Hands the turn to the fallback brain, remembering what it did for the model's next turn. */
  private async *fallback(
    turn: TurnInput,
    ctx: ConversationContext,
    signal: AbortSignal,
    st: LlmState,
  ): AsyncGenerator<BrainOutput> {
    st.fallbacks += 1;
    for await (const out of this.opts.fallback.respond(turn, ctx, signal)) {
      if (signal.aborted) return;
      noteOutput(st, out);
      yield out;
    }
  }

  /**
   * An emergency heard by the rules detector: the fallback (rules) brain alerts the team and
   * guides the caller. If that brain did not raise it first thing, it is raised here before
   * anything else is said, so the alert never depends on which brain is behind.
   */
  private async *emergency(
    turn: Extract<TurnInput, { kind: 'speech' }>,
    ctx: ConversationContext,
    signal: AbortSignal,
    st: LlmState,
    hit: EmergencyDetection,
  ): AsyncGenerator<BrainOutput> {
    let first = true;
    for await (const out of this.fallback(turn, ctx, signal, st)) {
      if (first && out.type !== 'emergency') {
        yield* this.raiseDirectly(turn, ctx, st, hit);
      }
      first = false;
      yield out;
    }
    if (first && !signal.aborted) yield* this.raiseDirectly(turn, ctx, st, hit);
  }

  private async *raiseDirectly(
    turn: Extract<TurnInput, { kind: 'speech' }>,
    ctx: ConversationContext,
    st: LlmState,
    hit: EmergencyDetection,
  ): AsyncGenerator<BrainOutput> {
    if (!st.emergencies.includes(hit.category)) st.emergencies.push(hit.category);
    const summary = `Emergency (${hit.category}): the caller said "${turn.text}".`;
    await this.tools
      .raiseEmergency(
        {
          category: hit.category,
          trigger: hit.trigger,
          summary,
          transcript: withTurn(ctx, turn),
          callerId: ctx.callerId,
        },
        this.lifetime,
      )
      .catch((err: unknown) => this.opts.logger?.error({ err }, 'raising the emergency failed'));
    yield { type: 'emergency', category: hit.category, trigger: hit.trigger, summary };
  }
}

/** Resolves to TIMEOUT if `p` has not settled within `ms`; `p` keeps running (its rejection is handled). */
async function withDeadline<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
  p.catch(() => {});
  if (ms <= 0) return Promise.race([p, Promise.resolve(TIMEOUT)]);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<typeof TIMEOUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMEOUT), ms);
  });
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function withTurn(ctx: ConversationContext, turn: TurnInput): TranscriptEntry[] {
  const t = [...ctx.transcript];
  if (turn.kind === 'speech' || turn.kind === 'dtmf')
    t.push({ speaker: 'caller', text: turnText(turn), at: ctx.now });
  return t;
}
