/**
 * Streaming speech to text: one stream per call and track, fed audio for the call's life, read
 * as a stream of events. Modelled on the event streams of LiveKit agents and Deepgram live.
 */

import type { ExpectedSpeech } from '../../shared/index.js';

/** Which side of a call: the caller (inbound) or whoever answers (outbound: agent assist). */
export type Track = 'inbound' | 'outbound';

/** One reading of an utterance; the first of `alternatives` is the transcript itself. */
export interface SttAlternative {
  readonly text: string;
  /** 0..1 where the engine gives one. */
  readonly confidence?: number;
}

/**
 * What a stream says, in order. Per utterance: `speech-started`, any `interim`s, one or more
 * `final`s (engines that endpoint themselves may finalise an utterance in pieces), then
 * `utterance-end`. Events of one utterance never interleave with the next one's.
 */
export type SttEvent =
  | { readonly type: 'speech-started'; readonly track: Track }
  /** The best guess so far for the utterance under way (replaces the previous interim). */
  | { readonly type: 'interim'; readonly track: Track; readonly text: string; readonly confidence?: number }
  /** Text that will not change; may be empty when nothing was recognised. */
  | {
      readonly type: 'final';
      readonly track: Track;
      readonly text: string;
      readonly confidence?: number;
      readonly alternatives: readonly SttAlternative[];
    }
  /** The utterance is over: every `final` of it has been emitted. */
  | { readonly type: 'utterance-end'; readonly track: Track };

export interface SttCapabilities {
  /**
   * Who ends a caller's turn. 'vad': our voice activity detector; the listener pushes audio from
   * just before speech starts and calls flush() when it ends (the engine has no endpointing).
   * 'engine': the engine's own endpointing; the listener pushes all audio and waits for
   * `utterance-end`.
   */
  readonly turnEnd: 'vad' | 'engine';
  /** Whether `interim` events come at all. */
  readonly interimResults: boolean;
}

export interface SttStreamOptions {
  readonly track: Track;
  /** Aborting it closes the stream, as close() does. */
  readonly signal: AbortSignal;
  /**
   * Whose words the open model carries: a key given to SpeechToText.useVocabulary() (e.g. the
   * business id). Unknown or absent: the provider's general receptionist model.
   */
  readonly vocabulary?: string;
}

/**
 * One call's (one track's) recognition. Iterate it once for its events; iteration ends after
 * close() or abort, and throws when the engine failed (the stream is then dead: open another).
 */
export interface SttStream extends AsyncIterable<SttEvent> {
  readonly track: Track;
  /** Feed audio (mono PCM16 at the provider's sampleRate) as it arrives. Cheap: decoding runs elsewhere. */
  push(samples: Int16Array): void;
  /**
   * End the utterance under way now: its `final` (possibly empty text) and `utterance-end`
   * follow, also when no audio came since the last one.
   */
  flush(): void;
  /**
   * What the caller is likely to say in the next utterance (the dialogue's question). Applies from
   * the next utterance that starts; one already under way keeps its model. Providers without
   * narrower models ignore it.
   */
  expect(next: ExpectedSpeech): void;
  /** Stop at once: no more events, audio in flight dropped. Idempotent. */
  close(): void;
}

export interface SpeechToText {
  readonly name: string;
  /** Sample rate push() expects (mono PCM16). */
  readonly sampleRate: number;
  readonly capabilities: SttCapabilities;
  stream(options: SttStreamOptions): SttStream;
  /**
   * Registers (or replaces) the words a business's callers use (services, FAQ and knowledge-base
   * terms, places, staff names) under `key`; streams opened with `vocabulary: key` recognise them.
   * Call again when the profile or knowledge changes. Optional: providers without a language
   * model of their own lack it.
   */
  useVocabulary?(key: string, phrases: readonly string[]): Promise<void>;
  /** Release workers, native decoders or connections the provider holds. */
  close(): Promise<void>;
}
