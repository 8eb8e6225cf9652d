/**
 * Recognition that knows the moment: for each narrow moment (name, phone, yes-no, date-time), how
 * often the answer that matters comes out right with the open receptionist model and with the
 * moment's own model, and what decoding costs per utterance before (no N-best, one model) and
 * after (N-best on every final, a search switch before every utterance).
 *
 * Callers are the TUNING voices of test/providers/stt/support/callers.ts (CALLER_VOICES) through
 * the phone path; the sentences are this file's own (not the held-out evaluation's). Each
 * utterance runs on one stream per condition, the moment told by stream.expect() before it, as the
 * dialogue would. CPU is the worker thread's own (getrusage), per utterance: start (search switch
 * and any lazy load), streaming decode, and the final pass (with N-best when on).
 *
 *   npx tsx bench/stt-moments.bench.ts
 *   STT_BENCH_VOICES=3 npx tsx bench/stt-moments.bench.ts    first three voices only
 *   STT_BENCH_SHOW=1 ...                                     print every reading
 *   STT_BENCH_ONLY=moment ...                                conditions whose name matches
 *   STT_BENCH_SETTINGS='{"fwdflat":"yes","lw":"6.5"}' ...    decoder settings for every provider made
 */
import {
  PocketSphinxStt,
  RECEPTIONIST_PHRASES,
  type PocketSphinxOptions,
} from '../src/providers/stt/index.js';
import type { ExpectedSpeech } from '../src/shared/index.js';
import {
  CALLER_VOICES,
  missingSpeechTools,
  synthesize,
  throughPhoneLine,
} from '../test/providers/stt/support/callers.js';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { businessVocabulary } from '../src/business/vocabulary.js';
import { debianEnUsModel } from '../src/providers/stt/pocketsphinx-addon.js';
import { words } from '../test/providers/stt/support/wer.js';

/** Decoder settings for every provider this bench makes (e.g. the library's own, to compare). */
const SETTINGS: Readonly<Record<string, string>> | undefined = process.env.STT_BENCH_SETTINGS
  ? (JSON.parse(process.env.STT_BENCH_SETTINGS) as Record<string, string>)
  : undefined;

export type Moment = Exclude<ExpectedSpeech, 'open' | 'address' | 'spelling'>;

export interface Example {
  readonly moment: Moment;
  readonly text: string;
  /** What must come out: the name, the ten digits, 'yes'/'no', or "day hour". */
  readonly answer: string;
}

export const EXAMPLES: readonly Example[] = [
  { moment: 'name', text: 'my name is robert wilson', answer: 'robert wilson' },
  { moment: 'name', text: "it's linda martinez", answer: 'linda martinez' },
  { moment: 'name', text: 'this is kevin brooks', answer: 'kevin brooks' },
  { moment: 'name', text: 'my name is sarah collins', answer: 'sarah collins' },
  { moment: 'name', text: 'james patterson', answer: 'james patterson' },
  { moment: 'name', text: "it's maria gonzalez", answer: 'maria gonzalez' },
  { moment: 'name', text: 'this is brian foster', answer: 'brian foster' },
  { moment: 'name', text: 'my name is nancy hughes', answer: 'nancy hughes' },
  {
    moment: 'phone',
    text: 'my number is five five five three four seven two nine one oh',
    answer: '5553472910',
  },
  { moment: 'phone', text: "it's eight one two five five five zero one nine six", answer: '8125550196' },
  { moment: 'phone', text: 'two oh six four four three eight eight one five', answer: '2064438815' },
  {
    moment: 'phone',
    text: 'you can reach me at nine seven three two two one four six oh eight',
    answer: '9732214608',
  },
  { moment: 'phone', text: 'three one two, five five five, six seven eight nine', answer: '3125556789' },
  { moment: 'phone', text: 'seven oh four nine one five three three two one', answer: '7049153321' },
  { moment: 'yes-no', text: "yeah that's right", answer: 'yes' },
  { moment: 'yes-no', text: 'no that is not right', answer: 'no' },
  { moment: 'yes-no', text: 'correct', answer: 'yes' },
  { moment: 'yes-no', text: 'nope wrong', answer: 'no' },
  { moment: 'yes-no', text: 'yes', answer: 'yes' },
  { moment: 'yes-no', text: 'not quite', answer: 'no' },
  { moment: 'yes-no', text: "that's correct", answer: 'yes' },
  { moment: 'yes-no', text: 'no', answer: 'no' },
  { moment: 'date-time', text: 'tomorrow at two', answer: 'tomorrow two' },
  { moment: 'date-time', text: 'next tuesday at ten in the morning', answer: 'tuesday ten' },
  { moment: 'date-time', text: 'friday at three thirty', answer: 'friday three' },
  { moment: 'date-time', text: 'can you come monday at nine', answer: 'monday nine' },
  { moment: 'date-time', text: 'thursday afternoon at four', answer: 'thursday four' },
  { moment: 'date-time', text: 'saturday at eleven', answer: 'saturday eleven' },
  { moment: 'date-time', text: 'wednesday at one', answer: 'wednesday one' },
  { moment: 'date-time', text: 'how about sunday at five', answer: 'sunday five' },
];

const DIGIT: Record<string, string> = {
  zero: '0',
  oh: '0',
  o: '0',
  one: '1',
  two: '2',
  three: '3',
  four: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8',
  nine: '9',
};

/** Edit distance between two strings (digits here). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The digits a reading carries ("double five" is two fives). */
export function digitsOf(text: string): string {
  let out = '';
  let repeat = 1;
  for (const w of words(text)) {
    if (w === 'double') repeat = 2;
    else if (w === 'triple') repeat = 3;
    else if (DIGIT[w] !== undefined) {
      out += DIGIT[w]!.repeat(repeat);
      repeat = 1;
    }
  }
  return out;
}

/** Pronunciations by word, to tell a name heard right but spelt otherwise ("sara" for "sarah"). */
const SOUNDS = (() => {
  const m = new Map<string, Set<string>>();
  for (const line of readFileSync(debianEnUsModel().dict, 'utf8').split('\n')) {
    const [head, ...phones] = line.split(' ');
    const word = head?.replace(/\(\d+\)$/, '');
    if (!word || phones.length === 0) continue;
    const set = m.get(word) ?? new Set<string>();
    set.add(phones.join(' '));
    m.set(word, set);
  }
  return m;
})();

const soundsAlike = (a: string, b: string): boolean =>
  a === b || [...(SOUNDS.get(a) ?? [])].some((p) => SOUNDS.get(b)?.has(p));

/** The name is in the reading, each word spelt right or sounding the same. */
function nameHeard(text: string, expected: string, exact: boolean): boolean {
  const w = words(text);
  const want = expected.split(' ');
  const same = exact ? (a: string, b: string) => a === b : soundsAlike;
  return w.some((_, i) => want.every((x, k) => w[i + k] !== undefined && same(w[i + k]!, x)));
}

const NO = new Set(['no', 'nope', 'nah', 'wrong', 'not', 'incorrect']);
const YES = new Set(['yes', 'yeah', 'yep', 'yup', 'correct', 'right', 'sure', 'absolutely', 'exactly']);

/** The answer a reading gives, as the dialogue would read it. */
export function answerOf(moment: Moment, text: string, expected: string): boolean {
  const w = words(text);
  switch (moment) {
    case 'name':
      return nameHeard(text, expected, true);
    case 'phone':
      return digitsOf(text) === expected;
    case 'yes-no': {
      const said = w.some((x) => NO.has(x)) ? 'no' : w.some((x) => YES.has(x)) ? 'yes' : 'none';
      return said === expected;
    }
    case 'date-time': {
      const [day, hour] = expected.split(' ');
      return w.includes(day!) && w.includes(hour!);
    }
  }
}

interface Item extends Example {
  readonly voice: string;
  readonly pcm: Int16Array;
}

interface Condition {
  readonly name: string;
  readonly options: PocketSphinxOptions;
  /** Tell each utterance's moment (else every utterance runs the open model). */
  readonly expect: boolean;
}

const CONDITIONS: readonly Condition[] = [
  { name: 'before: open model, no N-best', options: { alternatives: 0, moments: false }, expect: false },
  { name: 'open model, N-best 4', options: { alternatives: 4 }, expect: false },
  { name: 'moment models, N-best 4', options: { alternatives: 4 }, expect: true },
];

/** Words an emergency detector would take as evidence; in an ordinary answer, a false alarm's seed. */
export const ALARM_WORDS = new Set([
  'emergency',
  'flood',
  'flooding',
  'flooded',
  'gas',
  'water',
  'frozen',
  'pipes',
  'burst',
  'leak',
  'leaking',
  'fire',
  'sparks',
  'sewage',
]);
const alarms = (text: string): boolean => words(text).some((w) => ALARM_WORDS.has(w));

interface Outcome {
  readonly item: Item;
  readonly text: string;
  readonly right: boolean;
  readonly inAlternatives: boolean;
  /** Names only: right but for the spelling of a word that sounds the same. */
  readonly soundsRight: boolean;
  /** Phone only: digit errors (edit distance to the ten digits). */
  readonly digitErrors: number;
  /** An emergency word in the best reading, in any reading (none was said). */
  readonly alarmBest: boolean;
  readonly alarmAny: boolean;
}

async function run(condition: Condition, items: readonly Item[]): Promise<Outcome[]> {
  const stt = await PocketSphinxStt.create({
    domainPhrases: RECEPTIONIST_PHRASES,
    threads: 1,
    decoderSettings: SETTINGS,
    ...condition.options,
  });
  const stream = stt.stream({ track: 'inbound', signal: new AbortController().signal });
  const events = stream[Symbol.asyncIterator]();
  const out: Outcome[] = [];
  for (const item of items) {
    stream.expect(condition.expect ? item.moment : 'open');
    for (let i = 0; i < item.pcm.length; i += 160) stream.push(item.pcm.subarray(i, i + 160));
    stream.flush();
    let text = '';
    let alternatives: string[] = [];
    for (;;) {
      const { value, done } = await events.next();
      if (done) throw new Error('stt stream ended early');
      if (value.type === 'final') {
        text = value.text;
        alternatives = value.alternatives.map((a) => a.text);
      }
      if (value.type === 'utterance-end') break;
    }
    out.push({
      item,
      text,
      right: answerOf(item.moment, text, item.answer),
      soundsRight: item.moment === 'name' && nameHeard(text, item.answer, false),
      digitErrors: item.moment === 'phone' ? editDistance(digitsOf(text), item.answer) : 0,
      alarmBest: alarms(text),
      alarmAny: alternatives.some(alarms),
      inAlternatives: alternatives.some((a) => answerOf(item.moment, a, item.answer)),
    });
  }
  stream.close();
  const usage = stt.usage();
  await stt.close();
  const n = items.length;
  const per = (op: string) => (usage[op]?.cpuMs ?? 0) / n;
  const total = ['start', 'load', 'process', 'end'].reduce((s, op) => s + per(op), 0);
  console.log(
    `\n${condition.name}: CPU per utterance ${total.toFixed(1)} ms ` +
      `(start+switch ${per('start').toFixed(2)}, lazy loads ${usage.load?.count ?? 0} costing ` +
      `${(usage.load?.cpuMs ?? 0).toFixed(0)} ms in all, streaming ${per('process').toFixed(1)}, ` +
      `final pass ${per('end').toFixed(1)})`,
  );
  for (const moment of ['name', 'phone', 'yes-no', 'date-time'] as const) {
    const mine = out.filter((o) => o.item.moment === moment);
    const right = mine.filter((o) => o.right).length;
    const any = mine.filter((o) => o.inAlternatives).length;
    const voices = [...new Set(mine.map((o) => o.item.voice))]
      .map((v) => {
        const of = mine.filter((o) => o.item.voice === v);
        return `${of.filter((o) => o.right).length}/${of.length}`;
      })
      .join(' ');
    console.log(
      `  ${moment.padEnd(10)} right ${((100 * right) / mine.length).toFixed(0).padStart(3)}% ` +
        `(${right}/${mine.length}; in any alternative ${any}` +
        (moment === 'name' ? `; sounding right ${mine.filter((o) => o.soundsRight).length}` : '') +
        (moment === 'phone'
          ? `; digit error ${((100 * mine.reduce((e, o) => e + o.digitErrors, 0)) / (10 * mine.length)).toFixed(0)}%`
          : '') +
        `)  per voice [${voices}]`,
    );
  }
  console.log(
    `  emergency words in these ordinary answers: best reading ${out.filter((o) => o.alarmBest).length}/${n}, ` +
      `any reading ${out.filter((o) => o.alarmAny).length}/${n}`,
  );
  if (process.env.STT_BENCH_SHOW) {
    for (const o of out)
      console.log(`    ${o.right ? 'ok ' : 'BAD'} ${o.item.voice}: ${o.item.text} => ${o.text}`);
  }
  return out;
}

/** A business's own words (none of them in the built-in models), and callers using them. */
const BUSINESS_PHRASES = businessVocabulary(
  {
    name: 'Bradford Plumbing',
    services: [
      {
        id: 'sump',
        name: 'Sump pump repair',
        aliases: ['sump pump'],
        durationMinutes: 60,
        bookable: true,
        description: 'We repair and replace sump pumps.',
      },
      {
        id: 'heater',
        name: 'Water heater install',
        aliases: ['Rheem water heater'],
        durationMinutes: 120,
        bookable: true,
        description: 'We install Rheem and Kohler water heaters.',
      },
      {
        id: 'camera',
        name: 'Sewer camera inspection',
        aliases: [],
        durationMinutes: 60,
        bookable: true,
      },
    ],
    faq: [{ question: 'Do you work in Evanston?', answer: 'Yes, Evanston, Cicero and Berwyn.' }],
    serviceArea: ['Evanston', 'Cicero', 'Berwyn'],
    staff: ['Maria'],
  },
  ['Moen faucets'],
);

const BUSINESS_CALLERS: ReadonlyArray<{ text: string; word: string }> = [
  { text: 'my sump pump stopped working', word: 'sump' },
  { text: 'do you install rheem water heaters', word: 'rheem' },
  { text: 'i have a kohler water heater', word: 'kohler' },
  { text: 'do you come out to evanston', word: 'evanston' },
  { text: 'i live in cicero', word: 'cicero' },
  { text: 'can you do a sewer camera inspection', word: 'camera' },
  { text: 'is this bradford plumbing', word: 'bradford' },
  { text: 'my moen faucet is dripping', word: 'moen' },
];

/** How often a business's own word is heard, without and with its vocabulary. */
async function runVocabulary(voices: typeof CALLER_VOICES): Promise<void> {
  const items = voices.flatMap((voice) =>
    BUSINESS_CALLERS.map((c) => ({
      ...c,
      voice: voice.name,
      pcm: throughPhoneLine(synthesize(voice, c.text)),
    })),
  );
  const stt = await PocketSphinxStt.create({
    domainPhrases: RECEPTIONIST_PHRASES,
    threads: 1,
    decoderSettings: SETTINGS,
  });
  const t0 = performance.now();
  await stt.useVocabulary('bradford', BUSINESS_PHRASES);
  const buildMs = performance.now() - t0;
  console.log(
    `\nbusiness words: ${items.length} utterances (${BUSINESS_CALLERS.length} sentences, each with one word ` +
      `only the business's ${BUSINESS_PHRASES.length} phrases have); vocabulary built in ${buildMs.toFixed(0)} ms`,
  );
  for (const vocabulary of [undefined, 'bradford']) {
    const stream = stt.stream({ track: 'inbound', signal: new AbortController().signal, vocabulary });
    const events = stream[Symbol.asyncIterator]();
    let heard = 0;
    let inAlternatives = 0;
    const shown: string[] = [];
    for (const item of items) {
      stream.push(item.pcm);
      stream.flush();
      for (;;) {
        const { value, done } = await events.next();
        if (done) throw new Error('stt stream ended early');
        if (value.type === 'final') {
          if (words(value.text).includes(item.word)) heard++;
          if (value.alternatives.some((a) => words(a.text).includes(item.word))) inAlternatives++;
          shown.push(`    ${item.voice}: ${item.text} => ${value.text}`);
        }
        if (value.type === 'utterance-end') break;
      }
    }
    stream.close();
    console.log(
      `  ${vocabulary === undefined ? 'open model          ' : 'with its vocabulary'} word heard ` +
        `${((100 * heard) / items.length).toFixed(0).padStart(3)}% (${heard}/${items.length}; in any alternative ${inAlternatives})`,
    );
    if (process.env.STT_BENCH_SHOW) console.log(shown.join('\n'));
  }
  const load = stt.usage().load;
  console.log(
    `  vocabulary loads ${load?.count ?? 0}, ${(load?.cpuMs ?? 0).toFixed(0)} ms CPU in all (dictionary and model)`,
  );
  await stt.close();
}

/** Emergencies said when the dialogue expected something else: the way out of every model. */
export const EMERGENCIES: ReadonlyArray<{ text: string; words: readonly string[] }> = [
  { text: 'my basement is flooding', words: ['flooding', 'flooded', 'flood'] },
  { text: 'i smell gas in the kitchen', words: ['gas'] },
  { text: 'there is water everywhere', words: ['water'] },
  { text: 'the pipes are frozen', words: ['frozen', 'pipes'] },
  { text: 'we have no water at all', words: ['water'] },
  { text: 'this is an emergency', words: ['emergency'] },
];

/** How often an emergency's key word is in the best reading and in any reading, per moment. */
async function runEmergencies(voices: typeof CALLER_VOICES): Promise<void> {
  const items = voices.flatMap((voice) =>
    EMERGENCIES.map((e) => ({ ...e, voice: voice.name, pcm: throughPhoneLine(synthesize(voice, e.text)) })),
  );
  const stt = await PocketSphinxStt.create({
    domainPhrases: RECEPTIONIST_PHRASES,
    threads: 1,
    decoderSettings: SETTINGS,
  });
  console.log(
    `\nemergencies said at any moment: ${items.length} utterances (${EMERGENCIES.length} sentences); ` +
      'key word in the best reading / in any of the readings',
  );
  for (const moment of ['open', 'name', 'phone', 'yes-no', 'date-time', 'address', 'spelling'] as const) {
    const stream = stt.stream({ track: 'inbound', signal: new AbortController().signal });
    stream.expect(moment);
    const events = stream[Symbol.asyncIterator]();
    let best = 0;
    let any = 0;
    for (const item of items) {
      stream.push(item.pcm);
      stream.flush();
      for (;;) {
        const { value, done } = await events.next();
        if (done) throw new Error('stt stream ended early');
        if (value.type === 'final') {
          const has = (t: string) => words(t).some((w) => item.words.includes(w));
          if (has(value.text)) best++;
          if (value.alternatives.some((a) => has(a.text))) any++;
        }
        if (value.type === 'utterance-end') break;
      }
    }
    stream.close();
    const pct = (n: number) => `${((100 * n) / items.length).toFixed(0).padStart(3)}%`;
    console.log(`  ${moment.padEnd(10)} best ${pct(best)}  any ${pct(any)}`);
  }
  await stt.close();
}

/** Provider start-up (models written, one warm decoder made) without and with the moment models. */
async function startUp(): Promise<void> {
  const times: Record<string, number[]> = { without: [], with: [] };
  for (let i = 0; i < 4; i++) {
    for (const moments of [false, true]) {
      const t = performance.now();
      const stt = await PocketSphinxStt.create({
        domainPhrases: RECEPTIONIST_PHRASES,
        moments,
        decoderSettings: SETTINGS,
      });
      times[moments ? 'with' : 'without']!.push(performance.now() - t);
      await stt.close();
    }
  }
  // The first round warms the JIT; the best of the others is the figure.
  const best = (xs: number[]) => Math.min(...xs.slice(1)).toFixed(0);
  console.log(
    `\nstart-up: ${best(times.without!)} ms without moment models, ${best(times.with!)} ms with (built, not loaded)`,
  );
}

async function main(): Promise<void> {
  const missing = missingSpeechTools(['espeak-ng', 'festival']);
  if (missing.length > 0) {
    console.log(`stt-moments bench skipped: missing ${missing.join(', ')} (scripts/setup-debian.sh)`);
    return;
  }
  const voices = CALLER_VOICES.slice(0, Number(process.env.STT_BENCH_VOICES ?? CALLER_VOICES.length));
  const items: Item[] = [];
  for (const voice of voices) {
    for (const ex of EXAMPLES)
      items.push({ ...ex, voice: voice.name, pcm: throughPhoneLine(synthesize(voice, ex.text)) });
  }
  console.log(
    `stt-moments: ${items.length} utterances (${EXAMPLES.length} sentences x ${voices.map((v) => v.name).join(', ')}), ` +
      'phone path; per voice figures in that order',
  );
  const only = process.env.STT_BENCH_ONLY ? new RegExp(process.env.STT_BENCH_ONLY) : undefined;
  if (!only || only.test('start-up')) await startUp();
  for (const c of CONDITIONS) if (!only || only.test(c.name)) await run(c, items);
  if (!only || only.test('business words')) await runVocabulary(voices);
  if (!only || only.test('emergencies')) await runEmergencies(voices);
}

// Run when started directly; bench/stt-settings.bench.ts imports the examples and scoring.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
