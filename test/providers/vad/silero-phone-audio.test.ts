/**
 * Silero + SpeechDetector on phone audio, with the settings barge-in uses (default thresholds,
 * minSpeechMs 300). Everything goes through 8 kHz mu-law and back, in 20 ms Twilio frames.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SileroVadModel } from '../../../src/providers/vad/silero.js';
import { SpeechDetector, type SpeechEvent } from '../../../src/providers/vad/speech-detector.js';
import {
  concat,
  dtmf,
  frames,
  missingAudioTools,
  mix,
  silence,
  speak,
  synth,
  throughPhoneLine,
  RATE,
} from './phone-audio.js';

const why = missingAudioTools();
if (why) console.warn(`skipping Silero phone-audio tests: ${why}`);

const ms = (pcm: Int16Array) => (pcm.length * 1000) / RATE;

async function detect(model: SileroVadModel, pcm: Int16Array): Promise<SpeechEvent[]> {
  const d = new SpeechDetector(model.createStream(8000), { minSpeechMs: 300 });
  const events: SpeechEvent[] = [];
  for (const f of frames(throughPhoneLine(pcm))) events.push(...(await d.push(f)));
  events.push(...(await d.finish()));
  return events;
}

const DTMF_LOW = [697, 770, 852, 941];
const DTMF_HIGH = [1209, 1336, 1477, 1633];

/** All 16 keys, each tone `toneMs` long followed by as much silence. */
function keypad(toneMs: number): Int16Array {
  return concat(
    ...DTMF_LOW.flatMap((lo) => DTMF_HIGH.flatMap((hi) => [dtmf(lo, hi, toneMs), silence(toneMs)])),
  );
}

/** 2 ms decaying impulses at irregular intervals, like line clicks or a handset knock. */
function clicks(seconds: number): Int16Array {
  const out = new Int16Array(RATE * seconds);
  for (let at = 1500; at < out.length - 32; at += 1100 + ((at * 7919) % 1700)) {
    for (let j = 0; j < 16; j++) out[at + j] = (j % 2 ? -1 : 1) * Math.round(28000 * Math.exp(-j / 4));
  }
  return out;
}

/** Cough-like bursts under 150 ms: shaped noise, fast attack, decay, full level. */
function bursts(): Int16Array {
  const parts: Int16Array[] = [];
  [60, 90, 120, 140, 100, 130].forEach((len, i) => {
    const s = len / 1000;
    const colour = ['pinknoise', 'brownnoise', 'whitenoise'][i % 3] ?? 'pinknoise';
    parts.push(
      silence(700),
      synth(s, [colour, 'fade', 'q', '0.005', String(s), String(s * 0.7), 'gain', '-2']),
    );
  });
  parts.push(silence(700));
  return concat(...parts);
}

/** Telephony cadence tone: two frequencies, on/off. */
function cadence(f1: number, f2: number, onMs: number, offMs: number, cycles: number): Int16Array {
  const tone = dtmf(f1, f2, onMs);
  return concat(...Array.from({ length: cycles }, () => [tone, silence(offMs)]).flat());
}

const noSpeech: Array<[string, () => Int16Array]> = [
  ['silence', () => silence(5000)],
  ...['whitenoise', 'pinknoise', 'brownnoise'].flatMap((n) =>
    [-40, -30, -20, -10, -3].map(
      (db) => [`${n} at ${db} dBFS`, () => synth(5, [n, 'gain', String(db)])] as [string, () => Int16Array],
    ),
  ),
  ...[440, 1000].flatMap((hz) =>
    [-20, -6].map(
      (db) =>
        [`a ${hz} Hz tone at ${db} dBFS`, () => synth(3, ['sine', String(hz), 'gain', String(db)])] as [
          string,
          () => Int16Array,
        ],
    ),
  ),
  ['DTMF, all 16 keys, 100 ms tones', () => keypad(100)],
  ['DTMF, all 16 keys, 500 ms tones', () => keypad(500)],
  ['DTMF 697+1209 Hz held for 2 s', () => dtmf(697, 1209, 2000)],
  ['US ringback (440+480 Hz, 2 s on 4 s off)', () => cadence(440, 480, 2000, 4000, 2)],
  ['busy tone (480+620 Hz, 0.5 s on/off)', () => cadence(480, 620, 500, 500, 5)],
  ['clicks', () => clicks(6)],
  ['cough-like bursts under 150 ms', bursts],
];

describe.skipIf(why !== undefined)('Silero VAD on phone audio', () => {
  let model: SileroVadModel;
  beforeAll(async () => {
    model = await SileroVadModel.load();
  });
  afterAll(async () => {
    await model.close();
  });

  it.each(noSpeech)('declares no speech on %s', async (_name, make) => {
    const events = await detect(model, make());
    expect(events.filter((e) => e.type === 'speech-start')).toEqual([]);
  });

  const utterances: Array<[string, () => Int16Array]> = [
    [
      'a US English male voice',
      () => speak('Hello, I would like to book an appointment for tomorrow morning.'),
    ],
    ['a female voice', () => speak('My basement is flooding, can someone come out today?', 'en-us+f3')],
    ['a short quiet "yes" (-20 dB)', () => speak('Yes.', 'en-gb', ['gain', '-20'])],
  ];

  it.each(utterances)('detects %s within 400 ms of its onset, and its end', async (_name, make) => {
    const clip = make();
    const events = await detect(model, concat(silence(1000), clip, silence(1500)));
    const starts = events.filter((e) => e.type === 'speech-start');
    const ends = events.filter((e) => e.type === 'speech-end');
    expect(starts.length).toBeGreaterThanOrEqual(1);
    expect(ends).toHaveLength(starts.length);
    const first = starts[0];
    expect(first?.atMs).toBeGreaterThanOrEqual(1000 - 64);
    expect(first?.detectedAtMs).toBeLessThanOrEqual(1000 + 400 + 64);
    const last = ends.at(-1);
    // espeak pads its clip with a little silence, so the end falls inside the clip.
    expect(last?.atMs).toBeGreaterThan(1000 + ms(clip) / 2);
    expect(last?.atMs).toBeLessThanOrEqual(1000 + ms(clip) + 100);
    // Declared within minSilenceMs (+ a window) of the end: never stuck open through the silence.
    expect(last?.detectedAtMs).toBeLessThanOrEqual((last?.atMs ?? 0) + 500 + 32);
  });

  it('detects speech over steady pink line noise at -30 dBFS', async () => {
    const talk = concat(silence(1000), speak('Can you call me back at five five five, one two three four?'));
    const noisy = mix(
      concat(talk, silence(1500)),
      synth(ms(talk) / 1000 + 1.5, ['pinknoise', 'gain', '-30']),
    );
    const events = await detect(model, noisy);
    expect(events[0]).toMatchObject({ type: 'speech-start' });
    expect(events[0]?.atMs).toBeGreaterThanOrEqual(1000 - 64);
    expect(events.at(-1)).toMatchObject({ type: 'speech-end' });
  });

  it('separates two sentences spoken a second and a half apart', async () => {
    const a = speak('I need a plumber.');
    const b = speak('Tomorrow at nine works for me.');
    const events = await detect(model, concat(silence(800), a, silence(1500), b, silence(1200)));
    expect(events.map((e) => e.type)).toEqual(['speech-start', 'speech-end', 'speech-start', 'speech-end']);
  });
});
