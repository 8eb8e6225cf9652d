/**
 * Per-call failover over the process's ordered TTS providers (TTS_PROVIDERS, e.g. elevenlabs,flite).
 * A call uses one provider until it fails or stalls, then moves to the next one for the rest of
 * the call: flapping back and forth mid-call would change the voice every sentence.
 */
import type { TextToSpeech } from './tts.js';
import { EventChannel } from '../stt/event-channel.js';
import { Resampler } from '../../audio/index.js';
import { monotonicClock, silentLogger, type Clock, type Logger } from '../../shared/index.js';
import { ProviderError } from '../llm/http.js';

/** Phone audio: every chunk the chain yields is at this rate. */
export const TTS_CHAIN_SAMPLE_RATE = 8000;

export interface TtsSwitch {
  readonly from: string;
  readonly to: string;
  /** Short and safe to store: 'error: HTTP 429', 'stalled: no audio in 1500 ms', 'closed: ...'. */
  readonly reason: string;
}

export interface TtsChainOptions {
  /** Longest wait for a provider's first audio of a sentence before moving on (not the last's). */
  readonly stallMs: number;
  onSwitch(s: TtsSwitch): void;
  readonly log?: Logger;
  readonly clock?: Clock;
}

type Step =
  | { readonly kind: 'chunk'; readonly value: Int16Array }
  | { readonly kind: 'end' }
  | { readonly kind: 'error'; readonly error: unknown }
  | { readonly kind: 'stalled' }
  | { readonly kind: 'aborted' };

type Outcome =
  { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly error: unknown };

/**
 * One per call. synthesize() speaks through the current provider; when that one throws, or gives
 * no audio within stallMs (its request is then aborted), the chain switches to the next provider
 * for the rest of the call and says the same text with it, so the caller hears at most stallMs of
 * silence. The last provider (the offline one) has no stall timer; when it fails, the error
 * propagates. An abort by the caller is never a failure and never switches.
 */
export class TtsChain implements TextToSpeech {
  readonly sampleRate = TTS_CHAIN_SAMPLE_RATE;
  readonly #providers: readonly TextToSpeech[];
  readonly #opts: TtsChainOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  #index = 0;

  constructor(providers: readonly TextToSpeech[], opts: TtsChainOptions) {
    if (providers.length === 0) throw new RangeError('a TTS chain needs at least one provider');
    if (!(opts.stallMs > 0)) throw new RangeError(`stallMs must be positive, got ${opts.stallMs}`);
    this.#providers = [...providers];
    this.#opts = opts;
    this.#clock = opts.clock ?? monotonicClock;
    this.#log = opts.log ?? silentLogger;
  }

  /** The provider speaking now (changes after a switch). */
  get name(): string {
    return this.current;
  }

  get current(): string {
    return (this.#providers[this.#index] as TextToSpeech).name;
  }

  async *synthesize(text: string, signal: AbortSignal): AsyncIterable<Int16Array> {
    // The next provider's audio for this text, started before the stall deadline (see #attempt).
    let hedged: Hedge | undefined;
    try {
      for (;;) {
        if (signal.aborted) return;
        const at = this.#index;
        const provider = this.#providers[at] as TextToSpeech;
        const last = at === this.#providers.length - 1;
        const source = hedged?.provider === provider ? hedged : undefined;
        if (hedged && !source) hedged.cancel();
        hedged = undefined;
        const next = last ? undefined : (this.#providers[at + 1] as TextToSpeech);
        const outcome = yield* this.#attempt(provider, text, signal, last, source, next);
        hedged = outcome.hedge;
        if (outcome.ok || signal.aborted) return;
        if (last) throw outcome.error;
        // Another sentence of this call may have moved the chain on already: then only retry.
        if (this.#index === at) this.#switchFrom(at, outcome);
        // The same text again with the next provider. When the failed one had already spoken part of
        // it, the caller hears that part twice: a repeated sentence is better than a lost one.
      }
    } finally {
      hedged?.cancel();
    }
  }

  /**
   * One provider's try at the text. When it has given no audio shortly before its stall deadline
   * (HEDGE_LEAD_MS), the next provider is started on the same text in the background, so that on a
   * stall its audio is already there: the caller's silence is the stall time, not the stall time
   * plus the next provider's start. The hedge is handed back for the next attempt, or cancelled.
   */
  async *#attempt(
    provider: TextToSpeech,
    text: string,
    signal: AbortSignal,
    last: boolean,
    source: Hedge | undefined,
    next: TextToSpeech | undefined,
  ): AsyncGenerator<Int16Array, Outcome & { hedge?: Hedge }> {
    const child = new AbortController();
    const onAbort = () => child.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const resampler =
      provider.sampleRate === TTS_CHAIN_SAMPLE_RATE
        ? undefined
        : new Resampler(provider.sampleRate, TTS_CHAIN_SAMPLE_RATE);
    const deadline = last ? undefined : this.#clock.now() + this.#opts.stallMs;
    let hedge: Hedge | undefined;
    let hedgeTimer: unknown;
    if (next && deadline !== undefined) {
      hedgeTimer = this.#clock.setTimeout(
        () => {
          hedgeTimer = undefined;
          if (!signal.aborted) hedge = startHedge(next, text, signal);
        },
        Math.max(0, this.#opts.stallMs - HEDGE_LEAD_MS),
      );
    }
    const dropHedge = () => {
      if (hedgeTimer !== undefined) this.#clock.clearTimeout(hedgeTimer);
      hedgeTimer = undefined;
      hedge?.cancel();
      hedge = undefined;
    };
    /** On failure the hedge (if started) goes to the next attempt. */
    const failing = (o: Outcome): Outcome & { hedge?: Hedge } => {
      if (hedgeTimer !== undefined) this.#clock.clearTimeout(hedgeTimer);
      hedgeTimer = undefined;
      const h = hedge;
      hedge = undefined;
      return h ? { ...o, hedge: h } : o;
    };
    let it: AsyncIterator<Int16Array> | undefined;
    let finished = false;
    let heard = false;
    try {
      it = source ? source.iterator : provider.synthesize(text, child.signal)[Symbol.asyncIterator]();
      if (source) signal.removeEventListener('abort', onAbort); // the hedge follows the caller's signal itself
      for (;;) {
        const step = await this.#next(it, signal, heard ? undefined : deadline);
        switch (step.kind) {
          case 'aborted':
            dropHedge();
            return { ok: true };
          case 'stalled':
            return failing({
              ok: false,
              reason: `stalled: no audio in ${this.#opts.stallMs} ms`,
              error: new ProviderError(`${provider.name}: no audio within ${this.#opts.stallMs} ms`, {
                kind: 'timeout',
                retryable: true,
              }),
            });
          case 'error':
            finished = true;
            if (signal.aborted) return (dropHedge(), { ok: true });
            return failing({ ok: false, reason: reasonOf(step.error, heard), error: step.error });
          case 'end': {
            finished = true;
            // A clean end without a sample for words to say is a silent failure (an empty 200):
            // worth the next provider's try, except from the last, which has no one to ask.
            if (!heard && !last && /[\p{L}\p{N}]/u.test(text)) {
              return failing({
                ok: false,
                reason: 'closed: no audio',
                error: new ProviderError(`${provider.name}: ended without audio`, {
                  kind: 'protocol',
                  retryable: true,
                }),
              });
            }
            dropHedge();
            const tail = resampler?.flush();
            if (tail && tail.length > 0) yield tail;
            return { ok: true };
          }
          case 'chunk': {
            if (step.value.length === 0) break;
            if (!heard) dropHedge(); // this provider speaks: the hedge is not needed
            heard = true;
            const out = resampler ? resampler.push(step.value) : step.value;
            if (out.length > 0) yield out;
            if (signal.aborted) return { ok: true };
            break;
          }
        }
      }
    } catch (err) {
      // synthesize() itself threw before returning an iterator.
      finished = true;
      if (signal.aborted) return (dropHedge(), { ok: true });
      return failing({ ok: false, reason: reasonOf(err, heard), error: err });
    } finally {
      // Our caller stopped listening mid-way (return()): nothing of this attempt may linger.
      if (hedgeTimer !== undefined) this.#clock.clearTimeout(hedgeTimer);
      signal.removeEventListener('abort', onAbort);
      if (source && !finished) source.cancel();
      if (!finished) {
        // Stalled, aborted, or our caller stopped listening: end the provider's request now.
        child.abort(new Error('tts chain: attempt abandoned'));
        it?.return?.().catch(() => {});
      }
    }
  }

  /** The iterator's next step, or 'stalled' at the deadline, or 'aborted' with the caller's signal. */
  #next(it: AsyncIterator<Int16Array>, signal: AbortSignal, deadline: number | undefined): Promise<Step> {
    if (signal.aborted) return Promise.resolve({ kind: 'aborted' });
    if (deadline !== undefined && this.#clock.now() >= deadline) return Promise.resolve({ kind: 'stalled' });
    return new Promise<Step>((resolve) => {
      let settled = false;
      let timer: unknown;
      const finish = (step: Step) => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) this.#clock.clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(step);
      };
      const onAbort = () => finish({ kind: 'aborted' });
      signal.addEventListener('abort', onAbort, { once: true });
      if (deadline !== undefined) {
        timer = this.#clock.setTimeout(() => {
          timer = undefined;
          finish({ kind: 'stalled' });
        }, deadline - this.#clock.now());
      }
      // Settles later than us when stalled or aborted; handled either way (no unhandled rejection).
      it.next().then(
        (r) => finish(r.done ? { kind: 'end' } : { kind: 'chunk', value: r.value }),
        (error: unknown) => finish({ kind: 'error', error }),
      );
    });
  }

  #switchFrom(at: number, failure: { reason: string; error: unknown }): void {
    this.#index = at + 1;
    const s: TtsSwitch = {
      from: (this.#providers[at] as TextToSpeech).name,
      to: this.current,
      reason: failure.reason,
    };
    const e = failure.error;
    this.#log.warn(
      {
        ...s,
        ...(e instanceof ProviderError
          ? { kind: e.kind, status: e.status, code: e.code, error: e.message }
          : {}),
      },
      'tts provider switched for the rest of the call',
    );
    try {
      this.#opts.onSwitch(s);
    } catch (err) {
      // A listener's failure must not cost the caller the sentence.
      this.#log.error({ err }, 'tts switch listener failed');
    }
  }
}

/** A short reason for the switch, never a body or a key: kind and status only. */
function reasonOf(err: unknown, afterAudio: boolean): string {
  if (err instanceof ProviderError) {
    switch (err.kind) {
      case 'http':
        return `error: HTTP ${err.status ?? '?'}`;
      case 'timeout':
        return afterAudio ? 'stalled: audio stopped mid-sentence' : 'error: timeout';
      case 'network':
        return afterAudio ? 'closed: connection cut mid-sentence' : 'closed: connection failed';
      case 'api':
        return err.code && /^[\w.-]{1,40}$/.test(err.code) ? `error: ${err.code}` : 'error: api';
      case 'protocol':
        return 'error: protocol';
    }
  }
  const name = err instanceof Error ? err.name : typeof err;
  return `error: ${/^[\w.-]{1,40}$/.test(name) ? name : 'unknown'}`;
}

/** How long before the stall deadline the next provider is started on the same text. */
const HEDGE_LEAD_MS = 400;

/** The next provider already working on the text: its audio is buffered until it is needed. */
interface Hedge {
  readonly provider: TextToSpeech;
  readonly iterator: AsyncIterator<Int16Array>;
  cancel(): void;
}

function startHedge(provider: TextToSpeech, text: string, signal: AbortSignal): Hedge {
  const ac = new AbortController();
  const onAbort = () => ac.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const buffered = new EventChannel<Int16Array>();
  void (async () => {
    try {
      for await (const chunk of provider.synthesize(text, ac.signal)) {
        if (ac.signal.aborted) break;
        buffered.push(chunk);
      }
      buffered.end();
    } catch (err) {
      buffered.fail(err);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  })();
  return {
    provider,
    iterator: buffered[Symbol.asyncIterator](),
    cancel: () => {
      ac.abort(new Error('tts chain: hedge not needed'));
      buffered.discard();
    },
  };
}
