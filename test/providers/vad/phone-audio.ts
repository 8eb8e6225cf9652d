/**
 * Test audio made on the spot with Debian's espeak-ng and sox, then sent through a phone line
 * (8 kHz G.711 mu-law and back) so the VAD hears what it will hear from Twilio.
 */
import { execFileSync, spawnSync } from 'node:child_process';

export const RATE = 8000;

function has(cmd: string): boolean {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Why the audio tests cannot run here, or undefined when they can. */
export function missingAudioTools(): string | undefined {
  const missing = ['espeak-ng', 'sox'].filter((c) => !has(c));
  return missing.length === 0
    ? undefined
    : `needs ${missing.join(' and ')} (apt-get install -y espeak-ng sox) to make test audio`;
}

function int16(buf: Buffer): Int16Array {
  const copy = new Uint8Array(buf.length - (buf.length % 2));
  copy.set(buf.subarray(0, copy.length));
  return new Int16Array(copy.buffer);
}

const RAW8K = ['-t', 'raw', '-r', String(RATE), '-c', '1'];

/** PCM16 at 8 kHz -> mu-law -> PCM16, as a phone line does it. */
export function throughPhoneLine(pcm: Int16Array): Int16Array {
  const input = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  const ulaw = execFileSync(
    'sox',
    [...RAW8K, '-e', 'signed', '-b', '16', '-', ...RAW8K, '-e', 'mu-law', '-'],
    { input },
  );
  return int16(
    execFileSync('sox', [...RAW8K, '-e', 'mu-law', '-', ...RAW8K, '-e', 'signed', '-b', '16', '-'], {
      input: ulaw,
    }),
  );
}

/** `sox -n ... synth <seconds> <args>` at 8 kHz PCM16, e.g. synth(3, ['pinknoise', 'gain', '-20']). */
export function synth(seconds: number, args: string[]): Int16Array {
  return int16(
    execFileSync('sox', ['-n', ...RAW8K, '-e', 'signed', '-b', '16', '-', 'synth', String(seconds), ...args]),
  );
}

/** Speech from espeak-ng, resampled to 8 kHz PCM16 (not yet through the phone line). */
export function speak(text: string, voice = 'en-us', extraSoxEffects: string[] = []): Int16Array {
  const wav = execFileSync('espeak-ng', ['-v', voice, '--stdout', text]);
  return int16(
    execFileSync('sox', ['-t', 'wav', '-', ...RAW8K, '-e', 'signed', '-b', '16', '-', ...extraSoxEffects], {
      input: wav,
    }),
  );
}

export function silence(ms: number): Int16Array {
  return new Int16Array((RATE * ms) / 1000);
}

export function concat(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Mix b into a (same length as a), clipping to 16 bits. */
export function mix(a: Int16Array, b: Int16Array): Int16Array {
  const out = new Int16Array(a.length);
  for (let i = 0; i < a.length; i++) {
    out[i] = Math.max(-32768, Math.min(32767, (a[i] ?? 0) + (b[i % b.length] ?? 0)));
  }
  return out;
}

/** Two summed tones at about -10 dBFS each: a DTMF key (697 + 1209 Hz is "1"), or a call-progress tone. */
export function dtmf(lowHz: number, highHz: number, ms: number): Int16Array {
  const out = new Int16Array((RATE * ms) / 1000);
  for (let i = 0; i < out.length; i++) {
    const t = i / RATE;
    out[i] = Math.round(10000 * (Math.sin(2 * Math.PI * lowHz * t) + Math.sin(2 * Math.PI * highHz * t)));
  }
  return out;
}

/** Splits audio into 20 ms Twilio-sized frames. */
export function* frames(pcm: Int16Array, samples = 160): Generator<Int16Array> {
  for (let i = 0; i < pcm.length; i += samples) yield pcm.subarray(i, i + samples);
}
