import { pcmToMulaw } from '../audio/index.js';
import { Resampler } from '../audio/index.js';
import type { TextToSpeech } from '../providers/tts/index.js';
import type { Playout } from './playout.js';
import type { SpeechHandle } from './speech-handle.js';

/** Audio between marks within a sentence: bounds how stale the heard-time estimate can get. */
const PROGRESS_MARK_MS = 1000;

export interface SpeakHooks {
  /** First synthesized audio of this utterance exists (clock ms). */
  onFirstAudio?(at: number): void;
  /** Agent audio queued for the recording: samples at 8 kHz and its playout position. */
  onAudio?(samples: Int16Array, position: number): void;
}

/**
 * Speaks one utterance: each sentence is synthesized, brought to 8 kHz mu-law and queued on the
 * playout with a mark after it, so the first sentence plays while later ones are still being
 * made. Stops producing the moment the handle's signal aborts. Settles the handle as played
 * once the last mark echoes; interruption settles it elsewhere.
 */
export async function speak(
  handle: SpeechHandle,
  sentences: AsyncIterable<string> | Iterable<string>,
  deps: { tts: TextToSpeech; playout: Playout; now: () => number },
  hooks: SpeakHooks = {},
): Promise<void> {
  const signal = handle.abort.signal;
  let lastMark: Promise<unknown> | undefined;
  let firstAudio = true;
  for await (const sentence of sentences) {
    if (signal.aborted) return;
    const text = sentence.trim();
    if (!text) continue;
    const resampler = deps.tts.sampleRate === 8000 ? undefined : new Resampler(deps.tts.sampleRate, 8000);
    const start = deps.playout.queuedPosition();
    let sinceMark = 0;
    const emit = (pcm8k: Int16Array) => {
      if (pcm8k.length === 0 || signal.aborted) return;
      hooks.onAudio?.(pcm8k, deps.playout.queuedPosition());
      deps.playout.write(pcmToMulaw(pcm8k));
      // Progress marks inside long sentences: each echo re-anchors what the caller has heard.
      sinceMark += pcm8k.length / 8;
      if (sinceMark >= PROGRESS_MARK_MS) {
        sinceMark = 0;
        deps.playout.mark(`${handle.id}p`, { pad: false });
      }
    };
    for await (const chunk of deps.tts.synthesize(text, signal)) {
      if (signal.aborted) return;
      if (firstAudio) {
        firstAudio = false;
        hooks.onFirstAudio?.(deps.now());
      }
      emit(resampler ? resampler.push(chunk) : chunk);
    }
    if (signal.aborted) return;
    if (resampler) emit(resampler.flush());
    const mark = deps.playout.mark(handle.id);
    handle.addSegment(text, start, mark.position);
    lastMark = mark.outcome;
  }
  if (lastMark) {
    const outcome = await lastMark;
    if (outcome === 'played') handle.markPlayed();
  } else {
    handle.markPlayed();
  }
}
