/**
 * The offline decoder's search settings (language weight, insertion penalties, beams, passes):
 * for each candidate set, the open model's word error, each moment's answer, emergency key words
 * in the best reading, and the decoder's CPU per utterance. Prints one row per set.
 *
 * Callers are the TUNING voices of test/providers/stt/support/callers.ts (CALLER_VOICES) through
 * the phone path, with the open sentences of bench/stt.bench.ts and the moment examples and
 * emergencies of bench/stt-moments.bench.ts (never the held-out evaluation). Every row decodes the
 * same audio (synthesized once, cached under the system temp folder). Each row is the library's
 * own defaults plus the row's settings (the provider's DEFAULT_DECODER_SETTINGS are undone first),
 * given as `decoderSettings`, so they reach every search (open, moments); the last row is the
 * provider as shipped. CPU figures move with the machine's load (a busy shared core makes the
 * same work cost more thread time): compare rows of one run, and only large gaps.
 * CPU is the worker thread's own (getrusage): start + streaming + final pass, per utterance.
 *
 *   npx tsx bench/stt-settings.bench.ts
 *   STT_BENCH_VOICES=3 ...        first three voices only
 *   STT_SETTINGS_ONLY=lw ...      rows whose name matches
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PocketSphinxStt, RECEPTIONIST_PHRASES } from '../src/providers/stt/index.js';
import { DEFAULT_DECODER_SETTINGS } from '../src/providers/stt/pocketsphinx.js';
import type { ExpectedSpeech } from '../src/shared/index.js';
import {
  CALLER_UTTERANCES,
  CALLER_VOICES,
  type CallerVoice,
  missingSpeechTools,
  synthesize,
  throughPhoneLine,
} from '../test/providers/stt/support/callers.js';
import { wordErrorRate, words } from '../test/providers/stt/support/wer.js';
import { EMERGENCIES, EXAMPLES, type Moment, answerOf, digitsOf, editDistance } from './stt-moments.bench.js';

interface Row {
  readonly name: string;
  readonly settings: Readonly<Record<string, string>>;
}

/**
 * Candidates, one knob at a time from the library's defaults (lw 6.5, fwdflatlw 8.5,
 * bestpathlw 9.5, wip 0.65, pip 1, beam 1e-48, wbeam 7e-29, pbeam 1e-48, lpbeam 1e-40,
 * lponlybeam 7e-29, fwdflat and bestpath on, maxhmmpf 30000, silprob 0.005, fillprob 1e-8,
 * topn 4, ds 1), then combinations of the ones that helped. With both later passes on, the final
 * reading comes from the lattice at -bestpathlw: -lw alone moves only the first pass.
 */
const ROWS: readonly Row[] = [
  { name: 'library defaults', settings: {} },
  { name: 'lw 8 (first pass)', settings: { lw: '8' } },
  { name: 'lw/fwdflat/bestpath 8', settings: { lw: '8', fwdflatlw: '8', bestpathlw: '8' } },
  { name: 'lw/fwdflat/bestpath 10', settings: { lw: '10', fwdflatlw: '10', bestpathlw: '10' } },
  { name: 'lw/fwdflat/bestpath 12', settings: { lw: '12', fwdflatlw: '12', bestpathlw: '12' } },
  { name: 'bestpathlw 12', settings: { bestpathlw: '12' } },
  { name: 'bestpathlw 7', settings: { bestpathlw: '7' } },
  { name: 'wip 0.2', settings: { wip: '0.2' } },
  { name: 'wip 2', settings: { wip: '2' } },
  { name: 'pip 0.5', settings: { pip: '0.5' } },
  { name: 'pip 2', settings: { pip: '2' } },
  { name: 'no bestpath', settings: { bestpath: 'no' } },
  { name: 'no fwdflat', settings: { fwdflat: 'no' } },
  { name: 'no fwdflat, no bestpath', settings: { fwdflat: 'no', bestpath: 'no' } },
  { name: 'wide beams (1e-60/1e-40)', settings: { beam: '1e-60', pbeam: '1e-60', wbeam: '1e-40' } },
  { name: 'narrow beams (1e-40/1e-20)', settings: { beam: '1e-40', pbeam: '1e-40', wbeam: '1e-20' } },
  { name: 'lpbeam/lponlybeam wide', settings: { lpbeam: '1e-60', lponlybeam: '1e-40' } },
  { name: 'maxhmmpf 3000, maxwpf 10', settings: { maxhmmpf: '3000', maxwpf: '10' } },
  { name: 'silprob 0.1', settings: { silprob: '0.1' } },
  { name: 'silprob 0.0005', settings: { silprob: '0.0005' } },
  { name: 'fillprob 1e-4', settings: { fillprob: '1e-4' } },
  { name: 'topn 2', settings: { topn: '2' } },
  { name: 'topn 8', settings: { topn: '8' } },
  { name: 'ds 2', settings: { ds: '2' } },
  // Combinations around the one clear gain (no fwdflat: names +6 of 56, final pass ~30 ms less).
  { name: 'no fwdflat, pip 2', settings: { fwdflat: 'no', pip: '2' } },
  { name: 'no fwdflat, bestpathlw 12', settings: { fwdflat: 'no', bestpathlw: '12' } },
  { name: 'no fwdflat, lpbeam wide', settings: { fwdflat: 'no', lpbeam: '1e-60', lponlybeam: '1e-40' } },
  {
    name: 'no fwdflat, wide beams',
    settings: { fwdflat: 'no', beam: '1e-60', pbeam: '1e-60', wbeam: '1e-40' },
  },
  { name: 'no fwdflat, lw 8', settings: { fwdflat: 'no', lw: '8' } },
  { name: 'no fwdflat, wip 2', settings: { fwdflat: 'no', wip: '2' } },
  { name: 'shipped (DEFAULT_DECODER_SETTINGS)', settings: DEFAULT_DECODER_SETTINGS },
];

/** The library's own value of each setting the provider changes, to start every row from. */
const LIBRARY_VALUES: Readonly<Record<string, string>> = { fwdflat: 'yes', lw: '6.5' };
const undoProviderDefaults = Object.fromEntries(
  Object.keys(DEFAULT_DECODER_SETTINGS).map((k) => {
    const v = LIBRARY_VALUES[k];
    if (v === undefined) throw new Error(`stt-settings bench: library value of -${k} unknown`);
    return [k, v];
  }),
);

type Kind = 'open' | Moment | 'emergency';

interface Item {
  readonly kind: Kind;
  readonly voice: string;
  readonly text: string;
  /** Moments: the answer that must come out; emergencies: the key words (any of them). */
  readonly answer: string;
  readonly pcm: Int16Array;
}

/** Phone-path audio of a sentence in a voice, made once and kept between runs. */
function phoneAudio(voice: CallerVoice, text: string): Int16Array {
  const dir = join(tmpdir(), 'switchboard-stt-settings-audio');
  mkdirSync(dir, { recursive: true });
  const key = createHash('sha1').update(`${voice.engine}/${voice.voice}/${text}`).digest('hex');
  const path = join(dir, `${key}.s16`);
  if (existsSync(path)) {
    const b = readFileSync(path);
    return new Int16Array(b.buffer, b.byteOffset, b.byteLength / 2);
  }
  const pcm = throughPhoneLine(synthesize(voice, text));
  writeFileSync(path, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  return pcm;
}

function corpus(voices: readonly CallerVoice[]): Item[] {
  const items: Item[] = [];
  for (const voice of voices) {
    const add = (kind: Kind, text: string, answer: string) =>
      items.push({ kind, voice: voice.name, text, answer, pcm: phoneAudio(voice, text) });
    for (const text of CALLER_UTTERANCES) add('open', text, text);
    for (const ex of EXAMPLES) add(ex.moment, ex.text, ex.answer);
    for (const e of EMERGENCIES) add('emergency', e.text, e.words.join(' '));
  }
  return items;
}

interface Figures {
  readonly wer: number;
  readonly name: number;
  readonly phone: number;
  readonly digitError: number;
  readonly yesNo: number;
  readonly dateTime: number;
  readonly emergency: number;
  readonly cpuPerUtterance: number;
  readonly finalPass: number;
}

async function measure(row: Row, items: readonly Item[]): Promise<Figures> {
  const stt = await PocketSphinxStt.create({
    domainPhrases: RECEPTIONIST_PHRASES,
    threads: 1,
    decoderSettings: { ...undoProviderDefaults, ...row.settings },
  });
  const stream = stt.stream({ track: 'inbound', signal: new AbortController().signal });
  const events = stream[Symbol.asyncIterator]();
  const heard: Array<{ item: Item; text: string }> = [];
  for (const item of items) {
    const moment: ExpectedSpeech = item.kind === 'open' || item.kind === 'emergency' ? 'open' : item.kind;
    stream.expect(moment);
    for (let i = 0; i < item.pcm.length; i += 160) stream.push(item.pcm.subarray(i, i + 160));
    stream.flush();
    let text = '';
    for (;;) {
      const { value, done } = await events.next();
      if (done) throw new Error('stt stream ended early');
      if (value.type === 'final') text = value.text;
      if (value.type === 'utterance-end') break;
    }
    heard.push({ item, text });
  }
  stream.close();
  const usage = stt.usage();
  await stt.close();
  const of = (kind: Kind) => heard.filter((h) => h.item.kind === kind);
  const share = (kind: Exclude<Kind, 'open' | 'emergency'>) => {
    const mine = of(kind);
    return mine.filter((h) => answerOf(kind, h.text, h.item.answer)).length / mine.length;
  };
  const phones = of('phone');
  const emergencies = of('emergency');
  const cpu = ['start', 'load', 'process', 'end'].reduce((s, op) => s + (usage[op]?.cpuMs ?? 0), 0);
  return {
    wer: wordErrorRate(of('open').map((h) => ({ reference: h.item.text, hypothesis: h.text }))),
    name: share('name'),
    phone: share('phone'),
    digitError:
      phones.reduce((e, h) => e + editDistance(digitsOf(h.text), h.item.answer), 0) / (10 * phones.length),
    yesNo: share('yes-no'),
    dateTime: share('date-time'),
    emergency:
      emergencies.filter((h) => words(h.text).some((w) => h.item.answer.split(' ').includes(w))).length /
      emergencies.length,
    cpuPerUtterance: cpu / items.length,
    finalPass: (usage.end?.cpuMs ?? 0) / items.length,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1).padStart(5)}%`;

async function main(): Promise<void> {
  const missing = missingSpeechTools(['espeak-ng', 'festival']);
  if (missing.length > 0) {
    console.log(`stt-settings bench skipped: missing ${missing.join(', ')} (scripts/setup-debian.sh)`);
    return;
  }
  const voices = CALLER_VOICES.slice(0, Number(process.env.STT_BENCH_VOICES ?? CALLER_VOICES.length));
  const only = process.env.STT_SETTINGS_ONLY ? new RegExp(process.env.STT_SETTINGS_ONLY) : undefined;
  const items = corpus(voices);
  const seconds = items.reduce((s, x) => s + x.pcm.length / 8000, 0);
  console.log(
    `stt-settings: ${items.length} utterances (${seconds.toFixed(0)} s) in ${voices.map((v) => v.name).join(', ')}, ` +
      "phone path, library defaults plus each row's settings\n" +
      'open WER: open model on the open sentences; name/phone/yes-no/day+hour: answer right under its ' +
      'moment model; digit err: phone digits; emerg: key word in the best reading (open model)',
  );
  console.log(
    `${'settings'.padEnd(36)} ${'open WER'.padStart(8)} ${'name'.padStart(6)} ${'phone'.padStart(6)} ` +
      `${'digit err'.padStart(9)} ${'yes-no'.padStart(6)} ${'day+hour'.padStart(8)} ${'emerg'.padStart(6)} ` +
      `${'CPU ms/utt'.padStart(10)} ${'final'.padStart(6)}`,
  );
  for (const row of ROWS) {
    if (only && !only.test(row.name)) continue;
    const f = await measure(row, items);
    console.log(
      `${row.name.padEnd(36)} ${pct(f.wer).padStart(8)} ${pct(f.name)} ${pct(f.phone)} ${pct(f.digitError).padStart(9)} ` +
        `${pct(f.yesNo)} ${pct(f.dateTime).padStart(8)} ${pct(f.emergency)} ` +
        `${f.cpuPerUtterance.toFixed(1).padStart(10)} ${f.finalPass.toFixed(1).padStart(6)}`,
    );
  }
}

await main();
