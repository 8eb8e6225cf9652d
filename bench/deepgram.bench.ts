/**
 * Deepgram adapters against the local Deepgram: stream open + first result, Finalize round trip,
 * end of speech to final and utterance-end with real caller voices paced as Twilio sends them,
 * push() cost per 20 ms frame, and Aura's first chunk and total time.
 * Prints figures only; never asserts timings. Run: npx tsx bench/deepgram.bench.ts
 * The local server answers at once, so the figures are the adapters' own overhead on top of
 * Deepgram's endpointing (300 ms of audio), not Deepgram's latency.
 */
import { dbfs, mulawToPcm } from '../src/audio/index.js';
import { createDeepgramStt } from '../src/providers/stt/deepgram.js';
import type { SttEvent, SttStream } from '../src/providers/stt/stt.js';
import { createDeepgramTts } from '../src/providers/tts/deepgram-aura.js';
import { silentLogger } from '../src/shared/index.js';
import { espeakCallerAudio, festivalCallerAudio } from '../src/sim/caller-audio.js';
import { startFakeDeepgram } from '../test/support/fake-deepgram.js';

const fake = await startFakeDeepgram();
const settings = {
  apiKey: fake.apiKey,
  baseUrl: fake.baseUrl,
  sttModel: 'nova-3',
  ttsModel: 'aura-2-thalia-en',
};
const stt = createDeepgramStt({ settings, logger: silentLogger });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!;
const f = (x: number) => x.toFixed(1);

function listen(stream: SttStream, onEvent: (e: SttEvent, at: number) => void): Promise<void> {
  return (async () => {
    for await (const e of stream) onEvent(e, performance.now());
  })();
}

// ---- open + first result, and the Finalize round trip ---------------------------------------------
{
  const firsts: number[] = [];
  const trips: number[] = [];
  for (let i = 0; i < 20; i++) {
    const stream = stt.stream({ track: 'inbound', signal: new AbortController().signal });
    const ends: number[] = [];
    const done = listen(stream, (e, at) => e.type === 'utterance-end' && ends.push(at));
    const t0 = performance.now();
    stream.flush(); // queued until open: Finalize answered with a from_finalize result
    while (ends.length < 1) await sleep(1);
    firsts.push(ends[0]! - t0);
    const t1 = performance.now();
    stream.flush();
    while (ends.length < 2) await sleep(1);
    trips.push(ends[1]! - t1);
    stream.close();
    await done;
  }
  console.log(
    `stream open + first result (localhost): median ${f(median(firsts))} ms, p90 ${f(p90(firsts))} ms`,
  );
  console.log(
    `Finalize -> utterance-end round trip:   median ${f(median(trips))} ms, p90 ${f(p90(trips))} ms`,
  );
}

// ---- real caller voices, paced at 20 ms ---------------------------------------------------------
{
  const lines = [
    'My basement is flooding, there is water everywhere.',
    'Hi, I need a plumber. Can someone come today?',
    'What are your hours on Saturday?',
  ];
  const voices: [string, (t: { say: string }) => Promise<Uint8Array>][] = [];
  for (const [name, src] of [
    ['espeak-ng', espeakCallerAudio()],
    ['festival', festivalCallerAudio()],
  ] as const) {
    try {
      await src({ say: 'test' });
      voices.push([name, src]);
    } catch {
      console.log(`(${name} not installed: skipped)`);
    }
  }
  for (const [voice, src] of voices) {
    for (const say of lines) {
      const audio = await src({ say });
      fake.listen.transcripts.push(say);
      const stream = stt.stream({ track: 'inbound', signal: new AbortController().signal });
      const finals: string[] = [];
      let lastVoicedAt = 0;
      let finalAt = 0;
      let endAt = 0;
      let ends = 0;
      const done = listen(stream, (e, at) => {
        if (e.type === 'final') {
          finals.push(e.text);
          finalAt = at;
        }
        if (e.type === 'utterance-end') {
          ends++;
          endAt = at;
        }
      });
      const silence = new Uint8Array(160).fill(0xff);
      const frames: Uint8Array[] = [];
      for (let o = 0; o < audio.length; o += 160) frames.push(audio.subarray(o, o + 160));
      for (let i = 0; i < 75; i++) frames.push(silence); // 1.5 s of silence after the caller
      const t0 = performance.now();
      for (let i = 0; i < frames.length; i++) {
        const frame = frames[i]!;
        stream.push(mulawToPcm(frame));
        if (i < frames.length - 75 && dbfs(mulawToPcm(frame)) > -40) lastVoicedAt = performance.now();
        const next = t0 + (i + 1) * 20;
        await sleep(Math.max(0, next - performance.now()));
      }
      await sleep(200);
      stream.close();
      await done;
      console.log(
        `${voice}: "${say}" -> ${ends} utterance(s), finals ${JSON.stringify(finals)}; ` +
          `last voiced frame -> last final ${f(finalAt - lastVoicedAt)} ms, -> utterance-end ${f(endAt - lastVoicedAt)} ms`,
      );
    }
  }
}

// ---- push() cost ---------------------------------------------------------------------------------
{
  const stream = stt.stream({ track: 'inbound', signal: new AbortController().signal });
  const done = listen(stream, () => {});
  await sleep(100); // open
  const frame = new Int16Array(160);
  for (let i = 0; i < 160; i++) frame[i] = Math.round(6000 * Math.sin((2 * Math.PI * 300 * i) / 8000));
  const N = 3000; // one minute of 20 ms frames
  const t0 = performance.now();
  for (let i = 0; i < N; i++) stream.push(frame);
  const us = ((performance.now() - t0) * 1000) / N;
  console.log(`push() of one 20 ms frame (encode to mu-law + binary send): ${us.toFixed(1)} µs`);
  stream.close();
  await done;
}

// ---- Aura --------------------------------------------------------------------------------------
{
  const tts = createDeepgramTts({ settings, logger: silentLogger });
  const text = 'Thanks for calling, a plumber will call you back within the hour.';
  const firsts: number[] = [];
  const totals: number[] = [];
  let samples = 0;
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    let first = 0;
    samples = 0;
    for await (const c of tts.synthesize(text, new AbortController().signal)) {
      first ||= performance.now() - t0;
      samples += c.length;
    }
    firsts.push(first);
    totals.push(performance.now() - t0);
  }
  console.log(
    `Aura (${text.length} chars, ${f(samples / 8)} ms of audio, local server 5 ms/100 ms chunk): ` +
      `first chunk median ${f(median(firsts))} ms, whole reply median ${f(median(totals))} ms`,
  );
  await tts.close();
}

await stt.close();
await fake.close();
