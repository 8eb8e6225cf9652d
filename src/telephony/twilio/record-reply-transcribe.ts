import { readWav, resample } from '../../audio/index.js';
import type { SpeechToText } from '../../providers/stt/index.js';
import { deadline } from '../../shared/index.js';

/**
 * One recording to text: the streaming recognizers (providers/stt) fed a whole file at once.
 * The audio goes in as the listener would send it (mono PCM16 at the recognizer's rate), the
 * utterance is flushed, and the finals are collected until the stream has gone quiet.
 */

export class TranscriptionError extends Error {
  override readonly name = 'TranscriptionError';
}

export interface Transcript {
  text: string;
  /** The recognizer's other readings, best first (weak evidence, as on a streamed call). */
  alternatives: string[];
  recognizer: string;
}

/** How long to wait for more events once an utterance has ended (engines may finalise in pieces). */
const SETTLE_MS = 400;
const DEFAULT_TIMEOUT_MS = 20_000;
/** Pushed in 100 ms pieces: engines that pace or batch their input expect chunks, not one buffer. */
const CHUNK_MS = 100;

/** The first channel of a WAV file (a recording is mono; a stereo one's first side is the caller). */
export function wavToMono(bytes: Uint8Array): { samples: Int16Array; sampleRate: number } {
  const wav = readWav(bytes);
  const samples = wav.channels[0];
  if (!samples) throw new TranscriptionError('the recording has no audio channel');
  return { samples, sampleRate: wav.sampleRate };
}

/**
 * Tries each recognizer in turn (the STT chain's failover order); throws TranscriptionError when
 * every one failed. An empty text is an answer (nothing recognisable), not a failure.
 */
export async function transcribe(
  audio: { samples: Int16Array; sampleRate: number },
  recognizers: readonly SpeechToText[],
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<Transcript> {
  if (recognizers.length === 0) throw new TranscriptionError('no recognizer is available');
  const failures: unknown[] = [];
  for (const stt of recognizers) {
    try {
      return { ...(await transcribeWith(stt, audio, opts)), recognizer: stt.name };
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      failures.push(err);
    }
  }
  throw new TranscriptionError(`every recognizer failed (${recognizers.map((r) => r.name).join(', ')})`, {
    cause: failures[failures.length - 1],
  });
}

async function transcribeWith(
  stt: SpeechToText,
  audio: { samples: Int16Array; sampleRate: number },
  opts: { signal?: AbortSignal; timeoutMs?: number },
): Promise<{ text: string; alternatives: string[] }> {
  const limit = deadline(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, opts.signal);
  const pcm =
    audio.sampleRate === stt.sampleRate
      ? audio.samples
      : resample({ samples: audio.samples, sampleRate: audio.sampleRate }, stt.sampleRate).samples;
  const stream = stt.stream({ track: 'inbound', signal: limit.signal });
  let settle: NodeJS.Timeout | undefined;
  try {
    const chunk = Math.max(1, Math.round((stt.sampleRate * CHUNK_MS) / 1000));
    for (let at = 0; at < pcm.length; at += chunk) stream.push(pcm.subarray(at, at + chunk));
    stream.flush();
    const finals: string[] = [];
    const alternatives: string[] = [];
    for await (const e of stream) {
      clearTimeout(settle);
      if (e.type === 'final') {
        if (e.text.trim()) finals.push(e.text.trim());
        for (const a of e.alternatives) if (a.text.trim()) alternatives.push(a.text.trim());
      } else if (e.type === 'utterance-end') {
        // The flushed utterance is over; an engine that endpoints itself may still be finishing
        // an earlier piece, so wait a moment for anything more before closing.
        settle = setTimeout(() => stream.close(), SETTLE_MS);
      }
    }
    if (limit.timedOut()) throw new TranscriptionError(`${stt.name} did not finish in time`);
    return { text: finals.join(' '), alternatives: alternatives.filter((a) => !finals.includes(a)) };
  } finally {
    clearTimeout(settle);
    stream.close();
    limit.clear();
  }
}
