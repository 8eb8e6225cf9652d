import type { ExpectedSpeech } from '../../../../src/shared/index.js';
import { EventChannel } from '../../../../src/providers/stt/event-channel.js';
import type {
  SpeechToText,
  SttCapabilities,
  SttEvent,
  SttStream,
  SttStreamOptions,
  Track,
} from '../../../../src/providers/stt/stt.js';

/**
 * A recognizer for tests of what consumes STT (listener, call session): each utterance, from its
 * first audio to flush(), is "recognised" as the next scripted text, with its first two words as
 * an interim once `interimAfterSamples` have been heard. Turn end comes from our VAD (flush), as
 * with PocketSphinx. Events go through the real EventChannel.
 */
export class ScriptedStt implements SpeechToText {
  readonly name = 'scripted';
  readonly sampleRate = 8000;
  readonly capabilities: SttCapabilities = { turnEnd: 'vad', interimResults: true };
  /** now() at the first audio of each utterance. */
  readonly started: number[] = [];
  /** Every sample pushed, in order. */
  readonly heard: number[] = [];
  readonly streams: SttStream[] = [];

  constructor(
    private readonly texts: string[],
    private readonly now: () => number = () => 0,
    readonly interimAfterSamples = 2400,
  ) {}

  stream(options: SttStreamOptions): SttStream {
    const s = new ScriptedStream(this, options);
    this.streams.push(s);
    return s;
  }

  /** For ScriptedStream: the next utterance's text. */
  begin(): string {
    this.started.push(this.now());
    return this.texts.shift() ?? '';
  }

  async close(): Promise<void> {}
}

class ScriptedStream implements SttStream {
  readonly track: Track;
  readonly #out = new EventChannel<SttEvent>();
  #utterance: { text: string; samples: number; interim: boolean } | undefined;

  constructor(
    private readonly stt: ScriptedStt,
    options: SttStreamOptions,
  ) {
    this.track = options.track;
    if (options.signal.aborted) this.#out.discard();
    else options.signal.addEventListener('abort', () => this.#out.discard(), { once: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<SttEvent> {
    return this.#out[Symbol.asyncIterator]();
  }

  push(samples: Int16Array): void {
    if (this.#out.ended || samples.length === 0) return;
    for (const s of samples) this.stt.heard.push(s);
    if (!this.#utterance) {
      this.#utterance = { text: this.stt.begin(), samples: 0, interim: false };
      this.#out.push({ type: 'speech-started', track: this.track });
    }
    const u = this.#utterance;
    u.samples += samples.length;
    if (!u.interim && u.samples > this.stt.interimAfterSamples) {
      u.interim = true;
      this.#out.push({ type: 'interim', track: this.track, text: u.text.split(' ').slice(0, 2).join(' ') });
    }
  }

  flush(): void {
    const text = this.#utterance?.text ?? '';
    this.#utterance = undefined;
    this.#out.push({ type: 'final', track: this.track, text, alternatives: [{ text }] });
    this.#out.push({ type: 'utterance-end', track: this.track });
  }

  /** The expectations the listener passed on, in order. */
  readonly expected: ExpectedSpeech[] = [];
  expect(next: ExpectedSpeech): void {
    this.expected.push(next);
  }

  close(): void {
    this.#out.discard();
  }
}
