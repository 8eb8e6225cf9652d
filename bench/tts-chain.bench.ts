/**
 * Cloud TTS failover: the ElevenLabs adapter's load time (its SDK) and time to first audio against
 * the local ElevenLabs server, and what the caller waits for first audio when the TTS chain has to
 * fail over (401, connection refused, stall). Prints figures only; never asserts timings.
 * Run: npx tsx bench/tts-chain.bench.ts
 */
import { fakeElevenLabsAudio, startFakeElevenLabs } from '../test/support/fake-elevenlabs.js';
import { TtsChain, type TextToSpeech } from '../src/providers/tts/index.js';
import { silentLogger } from '../src/shared/index.js';

const RUNS = 15;
const TEXT = 'Thanks for calling Acme Plumbing. How can I help you today?';
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const ms = (x: number): string => `${x.toFixed(1)} ms`;

/** Stand-in for flite: first 100 ms chunk at 16 kHz after `delayMs`. */
function offline(delayMs: number): TextToSpeech {
  return {
    name: 'flite',
    sampleRate: 16000,
    async *synthesize(_text, signal) {
      await new Promise((r) => setTimeout(r, delayMs));
      for (let i = 0; i < 5 && !signal.aborted; i++) yield new Int16Array(1600).fill(1000);
    },
  };
}

async function firstAudioMs(tts: TextToSpeech, text = TEXT): Promise<{ first: number; total: number }> {
  const t0 = performance.now();
  let first = NaN;
  for await (const chunk of tts.synthesize(text, new AbortController().signal)) {
    if (Number.isNaN(first) && chunk.length > 0) first = performance.now() - t0;
  }
  return { first, total: performance.now() - t0 };
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const { createElevenLabsTts } = await import('../src/providers/tts/elevenlabs.js');
  console.log(`ElevenLabs adapter + SDK first import: ${ms(performance.now() - t0)}`);

  const fake = await startFakeElevenLabs({ chunkDelayMs: 0 });
  const settings = { apiKey: fake.apiKey, baseUrl: fake.baseUrl, voiceId: 'voice-test', modelId: 'm' };
  const eleven = createElevenLabsTts({ settings, logger: silentLogger });
  const audioMs = (fakeElevenLabsAudio(TEXT).length / 8000) * 1000;

  await firstAudioMs(eleven); // warm the connection pool and the JIT
  const direct = [];
  for (let i = 0; i < RUNS; i++) direct.push(await firstAudioMs(eleven));
  console.log(
    `adapter vs local server (${audioMs} ms of audio, no server delay): first audio median ` +
      `${ms(median(direct.map((r) => r.first)))}, whole sentence ${ms(median(direct.map((r) => r.total)))}`,
  );

  const chainRun = async (stallMs: number, prepare: () => void) => {
    const firsts: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      prepare();
      const chain = new TtsChain([eleven, offline(5)], { stallMs, onSwitch: () => {} });
      firsts.push((await firstAudioMs(chain)).first);
      fake.controls.clear();
    }
    return median(firsts);
  };
  console.log(`chain, ElevenLabs healthy: first audio median ${ms(await chainRun(1500, () => {}))}`);
  console.log(
    `chain, ElevenLabs 401 -> offline (5 ms to first chunk): first audio median ` +
      `${ms(await chainRun(1500, () => fake.controls.fail({ kind: 'status', status: 401 })))}`,
  );
  console.log(
    `chain, ElevenLabs stalls after headers, stallMs 300 -> offline: first audio median ` +
      `${ms(await chainRun(300, () => fake.controls.fail({ kind: 'stall-after-headers' })))}`,
  );
  await fake.close();
  console.log(
    `chain, ElevenLabs server gone (connection refused) -> offline: first audio median ` +
      `${ms(await chainRun(1500, () => {}))}`,
  );
  await eleven.close();
}

await main();
