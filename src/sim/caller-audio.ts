import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pcmToMulaw } from '../audio/index.js';
import { resample } from '../audio/index.js';
import { readWav } from '../audio/index.js';
import type { TextToSpeech } from '../providers/tts/index.js';
import type { CallerAudio } from './simulated-call.js';

/**
 * Caller voices for the simulator. They must not be the agent's own voice (flite "slt"), so the
 * recognizer is not tested on the voice it hears best: Debian's festival and espeak-ng when
 * installed, else a different flite voice than the agent's.
 */
export type CallerAudioSource = (turn: { say?: string; wav?: string }) => Promise<CallerAudio>;

function toPhoneAudio(samples: Int16Array, sampleRate: number): CallerAudio {
  return pcmToMulaw(resample({ samples, sampleRate }, 8000).samples);
}

async function wavFileAudio(file: string): Promise<CallerAudio> {
  const wav = readWav(new Uint8Array(await readFile(file)));
  const mono = wav.channels[0];
  if (!mono) throw new Error(`${file} has no audio channel`);
  return toPhoneAudio(mono, wav.sampleRate);
}

/** Speaks with a TextToSpeech provider (e.g. flite's "rms" voice). */
export function callerAudioSource(tts: TextToSpeech): CallerAudioSource {
  return async (turn) => {
    if (turn.wav !== undefined) return wavFileAudio(turn.wav);
    const chunks: Int16Array[] = [];
    for await (const c of tts.synthesize(turn.say ?? '', new AbortController().signal)) chunks.push(c);
    const all = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of chunks) {
      all.set(c, o);
      o += c.length;
    }
    return toPhoneAudio(all, tts.sampleRate);
  };
}

/** Speaks with Debian's espeak-ng (e.g. voice "en-us+m3"), a different engine from the agent's. */
export function espeakCallerAudio(voice = 'en-us+m3', wordsPerMinute = 165): CallerAudioSource {
  return async (turn) => {
    if (turn.wav !== undefined) return wavFileAudio(turn.wav);
    const wav = await new Promise<Uint8Array>((resolve, reject) => {
      const p = spawn('espeak-ng', ['-v', voice, '-s', String(wordsPerMinute), '--stdout', turn.say ?? ''], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const out: Buffer[] = [];
      p.stdout.on('data', (d: Buffer) => out.push(d));
      p.on('error', reject);
      p.on('close', (code) =>
        code === 0
          ? resolve(new Uint8Array(Buffer.concat(out)))
          : reject(new Error(`espeak-ng exited ${code}`)),
      );
    });
    const parsed = readWav(wav);
    const mono = parsed.channels[0];
    if (!mono) throw new Error('espeak-ng produced no audio');
    return toPhoneAudio(mono, parsed.sampleRate);
  };
}

/** Speaks with Debian's festival (`text2wave`), e.g. voice "ked_diphone" (festvox-kdlpc16k). */
export function festivalCallerAudio(voice = 'ked_diphone'): CallerAudioSource {
  return async (turn) => {
    if (turn.wav !== undefined) return wavFileAudio(turn.wav);
    const dir = await mkdtemp(path.join(tmpdir(), 'sb-festival-'));
    const out = path.join(dir, 'say.wav');
    try {
      await new Promise<void>((resolve, reject) => {
        const p = spawn('text2wave', ['-o', out, '-eval', `(voice_${voice})`], {
          stdio: ['pipe', 'ignore', 'pipe'],
        });
        p.on('error', reject);
        p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`text2wave exited ${code}`))));
        p.stdin.end(turn.say ?? '');
      });
      return await wavFileAudio(out);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

/**
 * The caller voices `switchboard call --voice` offers, most natural first. Festival's HTS voice
 * sounds most like a person (the same recorded speaker as the agent's flite voice, through
 * another synthesizer); the diphone voices and espeak-ng are robotic; flite's "rms" is built in
 * and always there.
 */
export const CALLER_VOICES = [
  {
    name: 'slt',
    engine: 'festival',
    voice: 'cmu_us_slt_arctic_hts',
    about: 'US English, female (festival HTS, most natural)',
  },
  { name: 'kal', engine: 'festival', voice: 'kal_diphone', about: 'US English, male (festival diphone)' },
  { name: 'ked', engine: 'festival', voice: 'ked_diphone', about: 'US English, male (festival diphone)' },
  { name: 'espeak', engine: 'espeak-ng', voice: 'en-us+m3', about: 'US English, male (espeak-ng, robotic)' },
  { name: 'rms', engine: 'flite', voice: 'rms', about: 'US English, male (flite, built in)' },
] as const;

export type CallerVoiceName = (typeof CALLER_VOICES)[number]['name'];
type FliteCallerVoice = Extract<(typeof CALLER_VOICES)[number], { engine: 'flite' }>['voice'];

export function isCallerVoiceName(name: string): name is CallerVoiceName {
  return CALLER_VOICES.some((v) => v.name === name);
}

function runs(cmd: string, args: string[]): Promise<{ ok: boolean; stdout: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.on('error', () => resolve({ ok: false, stdout }));
    p.on('close', (code) => resolve({ ok: code === 0, stdout }));
  });
}

/** The voices installed on this machine, in CALLER_VOICES order (flite's is always there). */
export async function installedCallerVoices(): Promise<CallerVoiceName[]> {
  const [festival, espeak] = await Promise.all([
    // Prints e.g. "(cmu_us_slt_arctic_hts ked_diphone kal_diphone)".
    runs('festival', ['-b', '(print (voice.list))']),
    runs('espeak-ng', ['--version']),
  ]);
  const festivalVoices = new Set(festival.ok ? festival.stdout.replace(/[()]/g, ' ').split(/\s+/) : []);
  return CALLER_VOICES.filter((v) =>
    v.engine === 'festival' ? festivalVoices.has(v.voice) : v.engine === 'espeak-ng' ? espeak.ok : true,
  ).map((v) => v.name);
}

/** The caller audio of a named voice; `flite` makes flite's voice (loaded only when asked for). */
export async function callerVoice(
  name: CallerVoiceName,
  flite: (voice: FliteCallerVoice) => Promise<TextToSpeech>,
): Promise<CallerAudioSource> {
  const v = CALLER_VOICES.find((c) => c.name === name)!;
  switch (v.engine) {
    case 'festival':
      return festivalCallerAudio(v.voice);
    case 'espeak-ng':
      return espeakCallerAudio(v.voice);
    case 'flite':
      return callerAudioSource(await flite(v.voice));
  }
}

/** espeak-ng when it is installed, else flite's "rms" voice through `fallback` (the voice bench's caller). */
export async function defaultCallerAudio(fallback: () => Promise<TextToSpeech>): Promise<CallerAudioSource> {
  const hasEspeak = await new Promise<boolean>((resolve) => {
    const p = spawn('espeak-ng', ['--version'], { stdio: 'ignore' });
    p.on('error', () => resolve(false));
    p.on('close', (code) => resolve(code === 0));
  });
  return hasEspeak ? espeakCallerAudio() : callerAudioSource(await fallback());
}
