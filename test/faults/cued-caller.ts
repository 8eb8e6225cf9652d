import { EventChannel } from '../../src/providers/stt/event-channel.js';
import type { SpeechToText, SttEvent, SttStream, SttStreamOptions } from '../../src/providers/stt/stt.js';
import { createFliteTts } from '../../src/providers/tts/index.js';
import { callerAudioSource } from '../../src/sim/caller-audio.js';
import type { SimulatorDeps } from '../../src/sim/simulated-call.js';

/**
 * A simulated caller and a recognizer that hears exactly what that caller is saying: the
 * simulator makes each turn's audio just before speaking it, which cues the text; the server's
 * real VAD decides when speech starts and ends, and the utterance is "recognised" as the cue.
 * Fault tests need the words to be right every time (a name, a number), not a recognizer test.
 * A turn the VAD splits in two gives its words once: the second part is heard as nothing.
 */
export interface CuedCaller {
  /** For `startTestServer(env, { stt })`. */
  readonly stt: SpeechToText;
  /** For the simulator's `callerAudio`. */
  readonly callerAudio: SimulatorDeps['callerAudio'];
  /** Every utterance's text as the server was told it, in order. */
  readonly heard: string[];
}

export async function cuedCaller(): Promise<CuedCaller> {
  // A flite voice other than the agent's ("slt"): the server's VAD hears real speech.
  const voice = callerAudioSource(await createFliteTts({ voice: 'rms' }));
  let cue = '';
  const heard: string[] = [];
  const stt: SpeechToText = {
    name: 'cued',
    sampleRate: 8000,
    capabilities: { turnEnd: 'vad', interimResults: false },
    stream(options: SttStreamOptions): SttStream {
      const out = new EventChannel<SttEvent>();
      let speaking = false;
      const close = () => out.discard();
      if (options.signal.aborted) close();
      else options.signal.addEventListener('abort', close, { once: true });
      return {
        track: options.track,
        push(samples) {
          if (speaking || out.ended || samples.length === 0) return;
          speaking = true;
          out.push({ type: 'speech-started', track: options.track });
        },
        flush() {
          const text = cue;
          cue = '';
          speaking = false;
          if (text) heard.push(text);
          out.push({ type: 'final', track: options.track, text, alternatives: [{ text }] });
          out.push({ type: 'utterance-end', track: options.track });
        },
        expect: () => undefined,
        close,
        [Symbol.asyncIterator]: () => out[Symbol.asyncIterator](),
      };
    },
    close: async () => undefined,
  };
  return {
    stt,
    heard,
    callerAudio: async (turn) => {
      cue = turn.say ?? '';
      return voice(turn);
    },
  };
}

/**
 * Several cued callers on one server, for load: a call's recognizer stream opens at its caller's
 * first words, and streams are given to callers in the order the callers were made. Start each
 * call once the one before it has `opened`, and every call hears its own caller.
 */
export interface CuedCallers {
  readonly stt: SpeechToText;
  /** The next caller: its audio, and when the server's stream for it opened. */
  caller(): { callerAudio: SimulatorDeps['callerAudio']; opened: Promise<void> };
}

export async function cuedCallers(): Promise<CuedCallers> {
  const voice = callerAudioSource(await createFliteTts({ voice: 'rms' }));
  interface Cue {
    text: string;
    bind(): void;
  }
  const waiting: Cue[] = [];
  const stt: SpeechToText = {
    name: 'cued',
    sampleRate: 8000,
    capabilities: { turnEnd: 'vad', interimResults: false },
    stream(options: SttStreamOptions): SttStream {
      const cue = waiting.shift();
      cue?.bind();
      const out = new EventChannel<SttEvent>();
      let speaking = false;
      const close = () => out.discard();
      if (options.signal.aborted) close();
      else options.signal.addEventListener('abort', close, { once: true });
      return {
        track: options.track,
        push(samples) {
          if (speaking || out.ended || samples.length === 0) return;
          speaking = true;
          out.push({ type: 'speech-started', track: options.track });
        },
        flush() {
          const text = cue?.text ?? '';
          if (cue) cue.text = '';
          speaking = false;
          out.push({ type: 'final', track: options.track, text, alternatives: [{ text }] });
          out.push({ type: 'utterance-end', track: options.track });
        },
        expect: () => undefined,
        close,
        [Symbol.asyncIterator]: () => out[Symbol.asyncIterator](),
      };
    },
    close: async () => undefined,
  };
  return {
    stt,
    caller() {
      let bind = () => {};
      const opened = new Promise<void>((resolve) => (bind = resolve));
      const cue: Cue = { text: '', bind: () => bind() };
      waiting.push(cue);
      return {
        opened,
        callerAudio: async (turn) => {
          cue.text = turn.say ?? '';
          return voice(turn);
        },
      };
    },
  };
}
