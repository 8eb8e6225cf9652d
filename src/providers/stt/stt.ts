/**
 * Streaming speech to text: one stream per caller utterance, fed while the caller speaks.
 */
export interface SpeechToText {
  readonly name: string;
  /** Sample rate the stream expects for push() (mono PCM16). */
  readonly sampleRate: number;
  start(signal: AbortSignal): SpeechStream;
  /** Release workers or native decoders the provider holds. */
  close?(): Promise<void>;
}

export interface SpeechStream {
  /** Feed audio as it arrives. Cheap; heavy decoding may run elsewhere. */
  push(samples: Int16Array): void;
  /** The best hypothesis so far (may change). */
  partial(): string;
  /** End of utterance: resolves with the final transcript. */
  finish(): Promise<Transcript>;
  /** Drop the stream without a result. */
  close(): void;
}

export interface Transcript {
  readonly text: string;
  /** 0..1 where the engine gives one, else undefined. */
  readonly confidence?: number;
}
