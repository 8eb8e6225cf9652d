import { readFile } from 'node:fs/promises';
import { pcmToMulaw } from '../audio/mulaw.js';
import { resample } from '../audio/resample.js';
import { readWav } from '../audio/wav.js';
import type { TextToSpeech } from '../providers/tts/tts.js';
import type { CallerAudio } from './simulated-call.js';

/** Turns a caller's `say` (through a TTS voice unlike the agent's) or `wav` into phone audio. */
export function callerAudioSource(tts: TextToSpeech) {
  return async (turn: { say?: string; wav?: string }): Promise<CallerAudio> => {
    if (turn.wav !== undefined) {
      const wav = readWav(new Uint8Array(await readFile(turn.wav)));
      const mono = wav.channels[0];
      if (!mono) throw new Error(`${turn.wav} has no audio channel`);
      return pcmToMulaw(resample({ samples: mono, sampleRate: wav.sampleRate }, 8000).samples);
    }
    const chunks: Int16Array[] = [];
    for await (const c of tts.synthesize(turn.say ?? '', new AbortController().signal)) chunks.push(c);
    const all = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of chunks) {
      all.set(c, o);
      o += c.length;
    }
    return pcmToMulaw(resample({ samples: all, sampleRate: tts.sampleRate }, 8000).samples);
  };
}
