import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { writeWav } from '../../../src/audio/index.js';
import { EventChannel } from '../../../src/providers/stt/event-channel.js';
import {
  createPocketSphinxStt,
  DEBIAN_EN_US_MODEL_DIR,
  type SpeechToText,
  type SttEvent,
  type SttStream,
} from '../../../src/providers/stt/index.js';
import { POCKETSPHINX_ADDON_PATH } from '../../../src/providers/stt/pocketsphinx-addon.js';
import {
  transcribe,
  TranscriptionError,
  wavToMono,
} from '../../../src/telephony/twilio/record-reply-transcribe.js';
import { missingSpeechTools, synthesize, throughPhoneLine } from '../../providers/stt/support/callers.js';
import { FakeStt } from './record-reply-harness.js';

/** A whole recording through the streaming recognizers: resampled, flushed, finals collected, failover. */

const tone = (seconds: number, rate = 8000) =>
  Int16Array.from({ length: seconds * rate }, (_, i) =>
    Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / rate)),
  );

/** An engine that endpoints itself: it finalises the recording in two pieces, the second late. */
function piecewiseStt(): SpeechToText {
  return {
    name: 'piecewise',
    sampleRate: 8000,
    capabilities: { turnEnd: 'engine', interimResults: false },
    stream(): SttStream {
      const events = new EventChannel<SttEvent>();
      return {
        track: 'inbound',
        push: () => undefined,
        flush: () => {
          events.push({ type: 'final', track: 'inbound', text: 'my sink', alternatives: [] });
          events.push({ type: 'utterance-end', track: 'inbound' });
          setTimeout(() => {
            events.push({ type: 'final', track: 'inbound', text: 'is leaking', alternatives: [] });
            events.push({ type: 'utterance-end', track: 'inbound' });
          }, 100);
        },
        expect: () => undefined,
        close: () => events.end(),
        [Symbol.asyncIterator]: () => events[Symbol.asyncIterator](),
      };
    },
    close: async () => undefined,
  };
}

/** A recognizer that never answers. */
function silentStt(): SpeechToText {
  return {
    name: 'hung',
    sampleRate: 8000,
    capabilities: { turnEnd: 'vad', interimResults: false },
    stream(opts): SttStream {
      const events = new EventChannel<SttEvent>();
      opts.signal.addEventListener('abort', () => events.end());
      return {
        track: 'inbound',
        push: () => undefined,
        flush: () => undefined,
        expect: () => undefined,
        close: () => events.end(),
        [Symbol.asyncIterator]: () => events[Symbol.asyncIterator](),
      };
    },
    close: async () => undefined,
  };
}

describe('transcribe', () => {
  it('feeds the recording at the recognizer rate and returns its final', async () => {
    const stt = new FakeStt('what are your hours', 16000);
    const t = await transcribe(wavToMono(writeWav({ sampleRate: 8000, channels: [tone(2)] })), [stt]);
    expect(t).toMatchObject({ text: 'what are your hours', recognizer: 'fake-stt' });
    expect(stt.received[0]!.length).toBeCloseTo(32000, -2);
  });

  it('collects every piece an engine finalises, also one that comes after the flushed utterance ended', async () => {
    const t = await transcribe({ samples: tone(1), sampleRate: 8000 }, [piecewiseStt()]);
    expect(t.text).toBe('my sink is leaking');
  });

  it('fails over to the next recognizer; every one failing (or hanging) is a TranscriptionError', async () => {
    const audio = { samples: tone(1), sampleRate: 8000 };
    const t = await transcribe(audio, [new FakeStt('x', 8000, true), new FakeStt('hello', 8000)]);
    expect(t).toMatchObject({ text: 'hello' });
    await expect(transcribe(audio, [silentStt()], { timeoutMs: 200 })).rejects.toBeInstanceOf(
      TranscriptionError,
    );
    await expect(transcribe(audio, [])).rejects.toBeInstanceOf(TranscriptionError);
  });

  it('a file that is not a WAV is refused before any recognizer sees it', () => {
    expect(() => wavToMono(new TextEncoder().encode('<html>error</html>'))).toThrow();
  });
});

const missing = [
  ...(existsSync(POCKETSPHINX_ADDON_PATH) ? [] : ['the built addon (scripts/build-native.sh)']),
  ...(existsSync(DEBIAN_EN_US_MODEL_DIR) ? [] : ['pocketsphinx-en-us']),
  ...missingSpeechTools(['festival']),
];

describe.skipIf(missing.length > 0)('transcribe with the offline recognizer as shipped', () => {
  it('hears a caller recorded over the phone line (8 kHz WAV, as Twilio records it)', async () => {
    const stt = await createPocketSphinxStt();
    try {
      const pcm = throughPhoneLine(
        synthesize({ name: 'festival ked', engine: 'festival', voice: 'ked_diphone' }, 'what are your hours'),
      );
      const t = await transcribe(wavToMono(writeWav({ sampleRate: 8000, channels: [pcm] })), [stt]);
      expect(t.text).toMatch(/hours/);
    } finally {
      await stt.close();
    }
  }, 30_000);
});
