/**
 * Voice activity detection: speech probability per fixed-size window.
 * Stateful across windows of one stream; reset() between streams.
 */
export interface VoiceActivityDetector {
  readonly name: string;
  readonly sampleRate: number;
  /** Samples per window that process() expects. */
  readonly windowSamples: number;
  /** Probability (0..1) that the window holds speech. */
  process(window: Float32Array): Promise<number>;
  reset(): void;
  close(): Promise<void>;
}
