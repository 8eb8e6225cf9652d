/**
 * The callers' voices: every offline English voice this machine has from Debian (festival's
 * diphone and HTS voices, espeak-ng and its variants) and our own flite build (never "slt", the
 * agent's own voice). Split: TUNING voices are exactly the seven the project was already tuned on
 * (test/providers/stt/support/callers.ts CALLER_VOICES); every other voice is HELD OUT.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FliteWasm, type FliteVoice } from '../../src/providers/tts/flite-wasi.js';

export type VoiceEngine = 'espeak-ng' | 'festival' | 'flite';

export interface EvalVoice {
  /** Short id used on the command line and in tables, e.g. 'espeak:en-us+m3'. */
  readonly id: string;
  readonly engine: VoiceEngine;
  /** espeak-ng voice name, festival voice function without `voice_`, or flite voice. */
  readonly voice: string;
  /** The project tuned on it (CALLER_VOICES): reported apart from the held-out voices. */
  readonly tuning: boolean;
  /** Festival voices unpacked beside the installed ones (scripts/setup-debian.sh). */
  readonly festivalDir?: string;
}

/** Where scripts/setup-debian.sh unpacks Debian's 8 kHz kal and ked (they conflict as packages). */
export const FESTIVAL_8K_DIR = process.env['SWITCHBOARD_FESTIVAL_8K_DIR'] ?? '/usr/local/share/festival-8k';

const TUNING_IDS = new Set([
  'espeak:en-us',
  'espeak:en-us+m3',
  'espeak:en-us+f2',
  'espeak:en-gb+m7',
  'festival:cmu_us_slt_arctic_hts',
  'festival:kal_diphone',
  'festival:ked_diphone',
]);

const ESPEAK_BASES = ['en-us', 'en-gb', 'en-gb-scotland', 'en-gb-x-rp', 'en-029'];
const ESPEAK_VARIANTS = [
  '',
  ...['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7'],
  ...['f1', 'f2', 'f3', 'f4', 'f5'],
  ...['klatt', 'klatt2', 'klatt3'],
];

const espeak = (v: string): EvalVoice => ({
  id: `espeak:${v}`,
  engine: 'espeak-ng',
  voice: v,
  tuning: TUNING_IDS.has(`espeak:${v}`),
});

/** Every voice the evaluation knows, installed or not (see installedVoices()). */
export const ALL_VOICES: readonly EvalVoice[] = [
  ...['cmu_us_slt_arctic_hts', 'kal_diphone', 'ked_diphone'].map((v): EvalVoice => ({
    id: `festival:${v}`,
    engine: 'festival',
    voice: v,
    tuning: TUNING_IDS.has(`festival:${v}`),
  })),
  {
    id: 'festival:kal_diphone_8k',
    engine: 'festival',
    voice: 'kal_diphone',
    tuning: false,
    festivalDir: join(FESTIVAL_8K_DIR, 'kal_diphone'),
  },
  {
    id: 'festival:ked_diphone_8k',
    engine: 'festival',
    voice: 'ked_diphone',
    tuning: false,
    festivalDir: join(FESTIVAL_8K_DIR, 'ked_diphone'),
  },
  ...(['awb', 'rms', 'kal16', 'kal'] as const).map((v): EvalVoice => ({
    id: `flite:${v}`,
    engine: 'flite',
    voice: v,
    tuning: false,
  })),
  ...ESPEAK_BASES.flatMap((base) =>
    ESPEAK_VARIANTS.map((variant) => espeak(variant ? `${base}+${variant}` : base)),
  ),
];

export const TUNING_VOICES = ALL_VOICES.filter((v) => v.tuning);

let espeakVariants: Set<string> | undefined;
function installedEspeakVariants(): Set<string> {
  if (espeakVariants) return espeakVariants;
  espeakVariants = new Set();
  try {
    const out = execFileSync('espeak-ng', ['--voices=variant'], { encoding: 'utf8' });
    for (const line of out.split('\n').slice(1)) {
      const file = line.trim().split(/\s+/)[4];
      if (file?.startsWith('!v/')) espeakVariants.add(file.slice(3));
    }
  } catch {
    // No espeak-ng: no espeak voices.
  }
  return espeakVariants;
}

/** True when this machine can speak with the voice. */
export function isInstalled(v: EvalVoice): boolean {
  if (v.engine === 'flite') return true;
  if (v.engine === 'festival') {
    if (v.festivalDir) return existsSync(join(v.festivalDir, 'group'));
    const family = v.voice === 'cmu_us_slt_arctic_hts' ? 'us' : 'english';
    return existsSync(join('/usr/share/festival/voices', family, v.voice));
  }
  const variants = installedEspeakVariants();
  if (variants.size === 0) return false;
  const variant = v.voice.split('+')[1];
  return variant === undefined || variants.has(variant);
}

export function installedVoices(): EvalVoice[] {
  return ALL_VOICES.filter(isInstalled);
}

/** A voice's audio: mono PCM16 at its own rate. */
export interface VoiceAudio {
  readonly samples: Int16Array;
  readonly rate: number;
}

const toInt16 = (b: Buffer): Int16Array => {
  const copy = new Uint8Array(b.byteLength & ~1);
  copy.set(b.subarray(0, copy.byteLength));
  return new Int16Array(copy.buffer);
};

const run = (cmd: string, args: readonly string[], input?: string): Buffer =>
  execFileSync(cmd, args, { input, maxBuffer: 64 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'] });

/** Festival's evaluation that selects the voice (a side-installed 8 kHz voice is loaded by path). */
function festivalSelect(v: EvalVoice): string {
  if (!v.festivalDir) return `(voice_${v.voice})`;
  const short = v.voice.replace(/_diphone$/, '');
  const dir = v.festivalDir.endsWith('/') ? v.festivalDir : `${v.festivalDir}/`;
  const group = `${dir}group/${short === 'ked' ? 'ked' : short}lpc8k.group`;
  return `(begin (set! ${v.voice}_dir "${dir}") (set! ${short}_index_file "${group}") (load "${dir}festvox/${v.voice}.scm") (voice_${v.voice}))`;
}

let flite: FliteWasm | undefined;

/**
 * Speaks `text` in the voice. Repeatable (no dither, no random seed), and cached on disk by voice
 * and text: the same sentence is synthesized once per machine.
 */
export async function synthesize(
  v: EvalVoice,
  text: string,
  cacheDir = defaultCacheDir(),
): Promise<VoiceAudio> {
  const key = createHash('sha1').update(`${v.id}\n${text}`).digest('hex');
  const file = join(cacheDir, `${key}.pcm`);
  if (existsSync(file)) {
    const bytes = readFileSync(file);
    const rate = bytes.readUInt32LE(0);
    return { rate, samples: toInt16(bytes.subarray(4)) };
  }
  const audio = await speak(v, text);
  mkdirSync(cacheDir, { recursive: true });
  const head = Buffer.alloc(4);
  head.writeUInt32LE(audio.rate, 0);
  writeFileSync(
    file,
    Buffer.concat([
      head,
      Buffer.from(audio.samples.buffer, audio.samples.byteOffset, audio.samples.byteLength),
    ]),
  );
  return audio;
}

export function defaultCacheDir(): string {
  return process.env['OFFLINE_EVAL_CACHE'] ?? join(tmpdir(), 'switchboard-offline-eval-voices');
}

async function speak(v: EvalVoice, text: string): Promise<VoiceAudio> {
  switch (v.engine) {
    case 'espeak-ng': {
      // Raw samples at espeak's own 22050 Hz (its WAV header is wrong on a pipe).
      const wav = run('espeak-ng', ['-v', v.voice, '--stdout', text]);
      return { rate: wav.readUInt32LE(24), samples: toInt16(wav.subarray(44)) };
    }
    case 'festival': {
      const rate = v.festivalDir ? 8000 : 16000;
      const raw = run('text2wave', ['-eval', festivalSelect(v), '-otype', 'raw', '-F', String(rate)], text);
      return { rate, samples: toInt16(raw) };
    }
    case 'flite': {
      flite ??= await FliteWasm.load();
      const out = flite.synthesize(text, { voice: v.voice as FliteVoice });
      return { rate: out.sampleRate, samples: out.samples };
    }
  }
}
