import { execFileSync } from 'node:child_process';

/**
 * Synthetic callers for speech tests: Debian's espeak-ng and festival voices, put through the
 * phone path (8 kHz G.711 mu-law and back) with sox. None of them is the agent's own voice.
 */
export interface CallerVoice {
  readonly name: string;
  readonly engine: 'espeak-ng' | 'festival';
  /** espeak-ng voice name, or the festival voice function without the `voice_` prefix. */
  readonly voice: string;
}

export const CALLER_VOICES: readonly CallerVoice[] = [
  { name: 'espeak en-us', engine: 'espeak-ng', voice: 'en-us' },
  { name: 'espeak en-us+m3', engine: 'espeak-ng', voice: 'en-us+m3' },
  { name: 'espeak en-us+f2', engine: 'espeak-ng', voice: 'en-us+f2' },
  { name: 'espeak en-gb+m7', engine: 'espeak-ng', voice: 'en-gb+m7' },
  { name: 'festival slt (hts)', engine: 'festival', voice: 'cmu_us_slt_arctic_hts' },
  { name: 'festival kal', engine: 'festival', voice: 'kal_diphone' },
  { name: 'festival ked', engine: 'festival', voice: 'ked_diphone' },
];

/** Things a receptionist hears, written the way a recognizer spells them. */
export const CALLER_UTTERANCES: readonly string[] = [
  'what are your hours',
  'are you open on saturday',
  'i need a plumber',
  'my basement is flooding',
  'there is water all over the kitchen floor',
  'i smell gas in my house',
  'my name is john smith',
  'can i book an appointment tomorrow at ten',
  'i want to talk to a person',
  'can you call me back',
  'my number is five five five one two three four',
  'the address is twelve main street',
  'how much does it cost',
  'do you take credit cards',
  'i would like to cancel my appointment',
  'is this an emergency service',
  'my water heater is broken',
  'the toilet is leaking',
  'yes that is right',
  'no thank you',
  'can someone come today',
  'what is your address',
  'i need help with my furnace',
  'please transfer me to the owner',
  'thank you goodbye',
];

const run = (cmd: string, args: readonly string[], input?: Buffer | string): Buffer =>
  execFileSync(cmd, args, {
    input,
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
  });

/** True when the command runs (missing tools make tests skip with a reason). */
export function hasCommand(cmd: string, versionArg = '--version'): boolean {
  try {
    run(cmd, [versionArg]);
    return true;
  } catch {
    return false;
  }
}

export function missingSpeechTools(engines: ReadonlyArray<CallerVoice['engine']>): string[] {
  const missing: string[] = [];
  if (!hasCommand('sox')) missing.push('sox');
  if (engines.includes('espeak-ng') && !hasCommand('espeak-ng')) missing.push('espeak-ng');
  // text2wave has no version flag; festival itself does.
  if (engines.includes('festival') && !hasCommand('festival')) missing.push('festival');
  return missing;
}

/** Rate of what synthesize() returns. */
export const SYNTH_RATE = 16000;

/**
 * sox dithers when it resamples, with a new random seed each run: without -R the same sentence
 * gave different samples every time, and benchmark runs could not be compared word for word.
 */
const REPEATABLE = ['-R'];

const RAW16 = ['-t', 'raw', '-e', 'signed-integer', '-b', '16', '-L', '-c', '1'];

const toInt16 = (b: Buffer): Int16Array =>
  new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + (b.byteLength & ~1)));

/** The text in the given voice: mono PCM16 at 16 kHz (full band, as the voice made it). */
export function synthesize(voice: CallerVoice, text: string): Int16Array {
  if (voice.engine === 'espeak-ng') {
    // espeak-ng writes a streamable WAV to a pipe; sox resamples it.
    const wav = run('espeak-ng', ['-v', voice.voice, '--stdout', text]);
    return toInt16(
      run('sox', [...REPEATABLE, '-t', 'wav', '-', ...RAW16, '-r', String(SYNTH_RATE), '-'], wav),
    );
  }
  // text2wave's WAV header is wrong on a pipe, so ask for raw samples at our rate.
  const raw = run(
    'text2wave',
    ['-eval', `(voice_${voice.voice})`, '-otype', 'raw', '-F', String(SYNTH_RATE)],
    text,
  );
  return toInt16(raw);
}

/**
 * The phone path: resample to 8 kHz, encode as G.711 mu-law, decode back to PCM16.
 * Takes synthesize()'s output; returns mono 8 kHz samples.
 */
export function throughPhoneLine(pcm16k: Int16Array): Int16Array {
  const input = Buffer.from(pcm16k.buffer, pcm16k.byteOffset, pcm16k.byteLength);
  const ulaw = run(
    'sox',
    [
      ...REPEATABLE,
      ...RAW16,
      '-r',
      String(SYNTH_RATE),
      '-',
      '-t',
      'raw',
      '-r',
      '8000',
      '-c',
      '1',
      '-e',
      'mu-law',
      '-',
    ],
    input,
  );
  return toInt16(
    run(
      'sox',
      [...REPEATABLE, '-t', 'raw', '-r', '8000', '-c', '1', '-e', 'mu-law', '-', ...RAW16, '-'],
      ulaw,
    ),
  );
}
