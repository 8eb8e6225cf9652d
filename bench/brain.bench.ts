/**
 * The offline brain at the text level: emergency recall and false alarms on the project's own
 * phrasing sets (development and held-out), the same under simulated recognition errors, and lead
 * fields captured in scripted conversations. Prints figures; asserts nothing.
 *
 *   npx tsx bench/brain.bench.ts
 */
import { detectEmergency } from '../src/agent/emergency.js';
import { RulesBrain } from '../src/agent/rules/rules-brain.js';
import { tokens } from '../src/agent/text.js';
import { EMERGENCY_CASES, type EmergencyCase } from '../test/agent/fixtures/emergency-cases.js';
import { EMERGENCY_HOLDOUT } from '../test/agent/fixtures/emergency-holdout.js';
import { chicago, plumber } from '../test/agent/fixtures/businesses.js';
import { makeCtx } from '../test/agent/helpers.js';
import { runLeadCapture } from '../test/agent/lead-capture-run.js';

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function measure(cases: readonly EmergencyCase[], transform: (t: string) => string = (t) => t) {
  let tp = 0;
  let fn = 0;
  let fp = 0;
  let tn = 0;
  let rightCategory = 0;
  for (const c of cases) {
    const d = detectEmergency(transform(c.text), c.trade);
    if (c.expect) {
      if (d) {
        tp++;
        if (d.category === c.expect) rightCategory++;
      } else fn++;
    } else if (d) fp++;
    else tn++;
  }
  return {
    tp,
    fn,
    fp,
    tn,
    recall: tp / (tp + fn),
    falseAlarms: fp / (fp + tn),
    category: rightCategory / Math.max(1, tp),
  };
}

/** Deterministic word errors: each word is, with probability `wer`, dropped (1 in 3) or replaced. */
function noisy(wer: number, seed: number, vocabulary: readonly string[]) {
  let s = seed;
  const rand = () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
  return (text: string) =>
    tokens(text)
      .flatMap((w) => {
        if (rand() >= wer) return [w];
        if (rand() < 1 / 3) return [];
        return [vocabulary[Math.floor(rand() * vocabulary.length)] ?? w];
      })
      .join(' ');
}

const all = [...EMERGENCY_CASES, ...EMERGENCY_HOLDOUT];
const vocabulary = [...new Set(all.flatMap((c) => tokens(c.text)))];

console.log('Emergency detection (text level, offline rules)');
for (const [name, set] of [
  ['development', EMERGENCY_CASES],
  ['held-out', EMERGENCY_HOLDOUT],
] as const) {
  const m = measure(set);
  console.log(
    `  ${name.padEnd(12)} positives ${String(m.tp + m.fn).padStart(3)}  negatives ${String(m.fp + m.tn).padStart(3)}  ` +
      `recall ${pct(m.recall).padStart(6)}  false alarms ${pct(m.falseAlarms).padStart(5)}  right category ${pct(m.category)}`,
  );
}
console.log(
  '  with simulated recognition errors (all cases, 5 seeds each; a word dropped or swapped for another):',
);
for (const wer of [0.1, 0.2, 0.4]) {
  let recall = 0;
  let fa = 0;
  const seeds = [1, 2, 3, 4, 5];
  for (const seed of seeds) {
    const m = measure(all, noisy(wer, seed, vocabulary));
    recall += m.recall / seeds.length;
    fa += m.falseAlarms / seeds.length;
  }
  console.log(
    `    word error ${pct(wer).padStart(5)}: recall ${pct(recall).padStart(6)}  false alarms ${pct(fa).padStart(5)}`,
  );
}

console.log('Lead capture (scripted callers answering what the agent asks; name and number read back)');
for (const set of ['development', 'holdout'] as const) {
  const r = await runLeadCapture(set);
  console.log(
    `  ${set.padEnd(12)} ${r.conversations} conversations  fields captured ${r.fieldsCaptured}/${r.fieldsGiven} = ${pct(r.fieldsCaptured / r.fieldsGiven)}`,
  );
  for (const m of r.misses)
    console.log(
      `    missed ${m.field}: said ${JSON.stringify(m.said)} -> ${JSON.stringify(m.got)} (wanted ${JSON.stringify(m.expected)})`,
    );
}

// Time to first output for one turn, which the voice layer waits on (no tools: pure rules).
const brain = new RulesBrain();
const now = chicago('2025-06-11T10:00:00');
const texts = all.map((c) => c.text);
const times: number[] = [];
for (let round = 0; round < 3; round++) {
  for (const text of texts) {
    const t0 = performance.now();
    const stream = brain.respond(
      { kind: 'speech', text },
      makeCtx(plumber, now),
      new AbortController().signal,
    );
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    times.push(performance.now() - t0);
    await it.return?.();
  }
}
times.sort((a, b) => a - b);
const q = (p: number) => (times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? 0).toFixed(2);
console.log(
  `Rules brain, caller turn to first output: p50 ${q(0.5)} ms  p95 ${q(0.95)} ms  (${times.length} turns)`,
);
