/**
 * Text to speech. Implementations stream: the first chunk should leave as soon as it exists.
 * Every call honours its AbortSignal: once aborted, no more chunks are yielded.
 */
export interface TextToSpeech {
  readonly name: string;
  /** Sample rate of every chunk this engine yields (mono PCM16). */
  readonly sampleRate: number;
  synthesize(text: string, signal: AbortSignal): AsyncIterable<Int16Array>;
}
