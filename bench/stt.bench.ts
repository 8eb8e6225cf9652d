/**
 * Offline speech recognition on phone audio: word error rate per condition and CPU cost.
 *
 * Callers are Debian's espeak-ng and festival voices reading receptionist utterances, put through
 * the phone path (8 kHz mu-law and back with sox), then streamed in 20 ms frames through
 * PocketSphinxStt (worker thread) as a call would (one stream, an utterance per sentence ended by
 * flush()), but faster than real time. CPU figures are
 * the worker thread's own CPU time (getrusage), so other load on the machine does not inflate
 * them; "final pass" is the work flush() waits for once the audio has been decoded. Needs espeak-ng, festival voices, sox and the
 * built addon (scripts/setup-debian.sh, scripts/build-native.sh).
 *
 *   npx tsx bench/stt.bench.ts                    every condition, every voice
 *   STT_BENCH_VOICES=3 npx tsx bench/stt.bench.ts first three voices only (quicker)
 *   STT_BENCH_ONLY=domain npx tsx ...             conditions whose name matches
 */
import { performance } from 'node:perf_hooks';
import {
  PocketSphinxStt,
  RECEPTIONIST_PHRASES,
  type PocketSphinxOptions,
} from '../src/providers/stt/index.js';
import {
  CALLER_UTTERANCES,
  CALLER_VOICES,
  missingSpeechTools,
  synthesize,
  throughPhoneLine,
} from '../test/providers/stt/support/callers.js';
import { wordErrorRate, words } from '../test/providers/stt/support/wer.js';

interface Item {
  readonly text: string;
  readonly voice: string;
  readonly wide: Int16Array;
  readonly phone: Int16Array;
}

interface Condition {
  readonly name: string;
  readonly wideband?: boolean;
  readonly options: PocketSphinxOptions;
}

const MODEL_CMN = [41.0, -5.29, -0.12, 5.09, 2.48, -4.07, -1.37, -1.78, -5.08, -2.05, -6.45, -1.42, 1.17];

const CONDITIONS: Condition[] = [
  { name: 'wideband 16k (upper bound)', wideband: true, options: { inputRate: 16000 } },
  { name: 'phone, plain upsample, model CMN', options: { bandFill: { noiseRms: 0 }, cmnInit: MODEL_CMN } },
  { name: 'phone, band-filled, model CMN', options: { cmnInit: MODEL_CMN } },
  { name: 'phone, plain upsample, phone CMN', options: { bandFill: { noiseRms: 0 } } },
  { name: 'phone, band-filled, phone CMN (default)', options: {} },
  { name: 'phone, hold+noise, phone CMN', options: { bandFill: { upsample: 'hold' } } },
  {
    name: 'phone, band-filled, phone CMN, domain LM',
    options: { domainPhrases: RECEPTIONIST_PHRASES },
  },
  // As shipped before moment models and N-best: the open model's figures must not move.
  {
    name: 'domain LM, no moments, no N-best',
    options: { domainPhrases: RECEPTIONIST_PHRASES, moments: false, alternatives: 0 },
  },
];

const FRAME = 160; // 20 ms at 8 kHz

function makeCorpus(voiceCount: number): Item[] {
  const items: Item[] = [];
  for (const voice of CALLER_VOICES.slice(0, voiceCount)) {
    for (const text of CALLER_UTTERANCES) {
      const wide = synthesize(voice, text);
      items.push({ text, voice: voice.name, wide, phone: throughPhoneLine(wide) });
    }
  }
  return items;
}

async function run(condition: Condition, corpus: readonly Item[]): Promise<void> {
  const stt = await PocketSphinxStt.create({ ...condition.options, threads: 1 });
  const rate = stt.sampleRate;
  const frame = (FRAME * rate) / 8000;
  const results: Array<{ reference: string; hypothesis: string; voice: string }> = [];
  let audioSeconds = 0;
  let pushMs = 0;
  let pushes = 0;
  // One stream for the whole corpus, as for a call: each sentence is one utterance, ended by flush().
  const stream = stt.stream({ track: 'inbound', signal: new AbortController().signal });
  const events = stream[Symbol.asyncIterator]();
  const nextFinal = async (): Promise<string> => {
    let text = '';
    for (;;) {
      const { value, done } = await events.next();
      if (done) throw new Error('stt stream ended early');
      if (value.type === 'final') text = value.text;
      if (value.type === 'utterance-end') return text;
    }
  };
  for (const item of corpus) {
    const pcm = condition.wideband ? item.wide : item.phone;
    for (let i = 0; i < pcm.length; i += frame) {
      const t = performance.now();
      stream.push(pcm.subarray(i, i + frame));
      pushMs += performance.now() - t;
      pushes++;
    }
    stream.flush();
    const text = await nextFinal();
    audioSeconds += pcm.length / rate;
    results.push({ reference: item.text, hypothesis: text, voice: item.voice });
  }
  stream.close();
  const usage = stt.usage();
  await stt.close();
  const processCpu = usage.process?.cpuMs ?? 0;
  const endCpu = usage.end?.cpuMs ?? 0;
  const voices = [...new Set(results.map((r) => r.voice))];
  const perVoice = voices
    .map((v) => (wordErrorRate(results.filter((r) => r.voice === v)) * 100).toFixed(0))
    .join('/');
  console.log(
    `${condition.name.padEnd(44)} WER ${(wordErrorRate(results) * 100).toFixed(1).padStart(5)}%` +
      `  per voice [${perVoice}]` +
      `  CPU ${((processCpu + endCpu) / audioSeconds).toFixed(0)} ms/s of audio` +
      ` (streaming ${(processCpu / audioSeconds).toFixed(0)}, final pass ` +
      `${(endCpu / corpus.length).toFixed(0)} ms/utterance)` +
      `  main thread ${((pushMs / pushes) * 1000).toFixed(0)} us/20ms`,
  );
  if (process.env.STT_BENCH_SHOW) {
    for (const r of results) console.log(`    ${r.voice}: ${r.reference} => ${r.hypothesis}`);
  }
}

async function main(): Promise<void> {
  const missing = missingSpeechTools(['espeak-ng', 'festival']);
  if (missing.length > 0) {
    console.log(`stt bench skipped: missing ${missing.join(', ')} (scripts/setup-debian.sh)`);
    return;
  }
  const voiceCount = Number(process.env.STT_BENCH_VOICES ?? CALLER_VOICES.length);
  const only = process.env.STT_BENCH_ONLY ? new RegExp(process.env.STT_BENCH_ONLY) : undefined;
  const t0 = performance.now();
  const corpus = makeCorpus(voiceCount);
  const seconds = corpus.reduce((s, x) => s + x.phone.length / 8000, 0);
  const inPhrases = CALLER_UTTERANCES.filter((u) =>
    RECEPTIONIST_PHRASES.some((p) => words(p).join(' ') === words(u).join(' ')),
  ).length;
  console.log(
    `stt: ${corpus.length} utterances (${CALLER_UTTERANCES.length} sentences x ` +
      `${CALLER_VOICES.slice(0, voiceCount)
        .map((v) => v.name)
        .join(', ')}), ${seconds.toFixed(0)} s of audio, made in ` +
      `${((performance.now() - t0) / 1000).toFixed(0)} s; ` +
      `${inPhrases} of the sentences also appear verbatim in the domain phrases`,
  );
  for (const c of CONDITIONS) if (!only || only.test(c.name)) await run(c, corpus);
}

await main();
