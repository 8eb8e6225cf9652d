/**
 * Knowledge-base retrieval: quality and speed on PGlite with the offline hashing embedder.
 *
 * Two small knowledge bases written for this (a plumber's 17 documents and a dentist's 11, in
 * Markdown, HTML and plain text) and questions phrased the way callers ask, some misheard the way
 * an offline recognizer mishears them, plus questions neither business can answer. A hit is right
 * when its chunk contains the answer phrase. Prints:
 *   - top-1 / top-3 accuracy for full text only, vector only and hybrid (ranking alone, no gate);
 *   - the relevance gate on hybrid: answerable questions answered right / wrong / passed on, and
 *     unanswerable ones refused (the receptionist reads the first hit aloud, so this is what a
 *     caller hears); and a small grid of gate thresholds;
 *   - search latency p50/p95, with pgvector and with plain float arrays.
 *
 * Run: npx tsx bench/kb.bench.ts
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BusinessId } from '../src/ids.js';
import {
  KnowledgeBase,
  KnowledgeRepo,
  KnowledgeTimeoutError,
  type DetailedHit,
  type SearchMode,
  type VectorSupport,
} from '../src/knowledge/index.js';
import { HashingEmbedder } from '../src/providers/embed/index.js';
import { BusinessesRepo, openDatabase } from '../src/store/index.js';

const FIXTURES = fileURLToPath(new URL('../test/knowledge/fixtures/kb-bench/', import.meta.url));
const TRADES = ['plumbing', 'dental'] as const;
type Trade = (typeof TRADES)[number];

interface Question {
  q: string;
  expect: string | null;
  stt?: boolean;
}

const questions = JSON.parse(readFileSync(join(FIXTURES, 'questions.json'), 'utf8')) as Record<
  Trade,
  Question[]
>;
const silent = { info() {}, warn() {}, error() {}, debug() {} };
const signal = new AbortController().signal;

const isRight = (hit: DetailedHit | undefined, expect: string) =>
  hit !== undefined && hit.chunk.toLowerCase().includes(expect.toLowerCase());

const pct = (n: number, of: number) => (of === 0 ? '   -  ' : `${((100 * n) / of).toFixed(1).padStart(5)}%`);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function setup(vectors: VectorSupport) {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-kb-bench-'));
  const database = await openDatabase({ dataDir, logger: silent });
  const businesses = new BusinessesRepo(database.db);
  const kb = new KnowledgeBase({
    repo: new KnowledgeRepo(database.db, { vectors }),
    embedder: new HashingEmbedder(),
  });
  const ids = {} as Record<Trade, BusinessId>;
  let docs = 0;
  let chunks = 0;
  const started = performance.now();
  for (const trade of TRADES) {
    ids[trade] = (await businesses.create({ name: trade, greeting: 'Hello' })).id;
    for (const file of readdirSync(join(FIXTURES, trade)).sort()) {
      const added = await kb.add(
        {
          businessId: ids[trade],
          file: { bytes: readFileSync(join(FIXTURES, trade, file)), filename: file },
        },
        signal,
      );
      docs++;
      chunks += added.chunkCount;
    }
  }
  const addMs = performance.now() - started;
  return {
    kb,
    ids,
    docs,
    chunks,
    addMs,
    close: async () => {
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const verbose = process.argv.includes('--verbose');
const all = TRADES.flatMap((trade) => questions[trade].map((q) => ({ ...q, trade })));
const answerable = all.filter((q) => q.expect !== null);
const unanswerable = all.filter((q) => q.expect === null);

const env = await setup('pgvector');
console.log(
  `knowledge bases: ${env.docs} documents, ${env.chunks} chunks (added in ${env.addMs.toFixed(0)} ms); ` +
    `${answerable.length} answerable questions (${answerable.filter((q) => q.stt).length} misheard), ${unanswerable.length} unanswerable`,
);

// 1. Ranking quality per method, no relevance gate.
console.log('\nranking (no gate)          top-1    top-3   misheard top-1');
for (const mode of ['fulltext', 'vector', 'hybrid'] as SearchMode[]) {
  let top1 = 0;
  let top3 = 0;
  let sttTop1 = 0;
  for (const q of answerable) {
    const hits = await env.kb.searchDetailed(
      env.ids[q.trade],
      q.q,
      { k: 3, mode, includeIrrelevant: true },
      signal,
    );
    if (isRight(hits[0], q.expect!)) {
      top1++;
      if (q.stt) sttTop1++;
    }
    if (hits.some((h) => isRight(h, q.expect!))) top3++;
    else if (verbose && mode === 'hybrid')
      console.log(`    not in top 3: ${q.q} -> ${hits.map((h) => h.title).join(' | ')}`);
  }
  const stt = answerable.filter((q) => q.stt).length;
  console.log(
    `  ${mode.padEnd(22)} ${pct(top1, answerable.length)}  ${pct(top3, answerable.length)}   ${pct(sttTop1, stt)}`,
  );
}

// 2. What a caller hears: hybrid with the relevance gate.
const gated = {
  right: 0,
  wrong: 0,
  passed: 0,
  refused: 0,
  misses: [] as string[],
  falseAnswers: [] as string[],
};
const top: { q: Question & { trade: Trade }; hit: DetailedHit | undefined }[] = [];
for (const q of all) {
  const hits = await env.kb.searchDetailed(env.ids[q.trade], q.q, { k: 3, includeIrrelevant: true }, signal);
  top.push({ q, hit: hits.find((h) => h.relevant) });
  const first = hits.find((h) => h.relevant);
  if (q.expect === null) {
    if (first) gated.falseAnswers.push(`${q.q} -> ${first.title}`);
    else gated.refused++;
  } else if (!first) {
    gated.passed++;
    gated.misses.push(q.q);
  } else if (isRight(first, q.expect)) gated.right++;
  else {
    gated.wrong++;
    gated.misses.push(`${q.q} -> ${first.title}`);
  }
}
console.log('\nhybrid with the relevance gate (what the caller hears)');
console.log(`  answerable answered right ${pct(gated.right, answerable.length)}`);
console.log(`  answerable answered wrong ${pct(gated.wrong, answerable.length)}`);
console.log(`  answerable passed on      ${pct(gated.passed, answerable.length)}`);
console.log(`  unanswerable refused      ${pct(gated.refused, unanswerable.length)}`);
if (verbose) {
  for (const m of gated.misses) console.log(`    miss: ${m}`);
  for (const f of gated.falseAnswers) console.log(`    false answer: ${f}`);
}

// 3. Gate thresholds: of the top hybrid candidate (ungated), answered right vs unanswerable refused.
console.log('\ngate grid on the top hybrid candidate: right answers / unanswerable refused');
const firsts: { q: Question; hit: DetailedHit | undefined }[] = [];
for (const q of all) {
  const [hit] = await env.kb.searchDetailed(env.ids[q.trade], q.q, { k: 1, includeIrrelevant: true }, signal);
  firsts.push({ q, hit });
}
const sims = [0.15, 0.2, 0.25, 0.3];
console.log(`  coverage \\ similarity ${sims.map((s) => s.toFixed(2).padStart(15)).join('')}`);
for (const cov of [0.3, 0.35, 0.4, 0.5]) {
  const cells = sims.map((sim) => {
    let right = 0;
    let refused = 0;
    for (const { q, hit } of firsts) {
      const pass = hit !== undefined && (hit.coverage >= cov || (hit.similarity ?? -1) >= sim);
      if (q.expect === null) refused += pass ? 0 : 1;
      else if (pass && isRight(hit, q.expect)) right++;
    }
    return `${pct(right, answerable.length)}/${pct(refused, unanswerable.length)}`.padStart(15);
  });
  console.log(`  ${cov.toFixed(2).padEnd(22)}${cells.join('')}`);
}
await env.close();

// 4. Latency, each vector path.
console.log('\nsearch latency on PGlite (hybrid, k=3, every question 5 times)');
for (const vectors of ['pgvector', 'array'] as VectorSupport[]) {
  const e = await setup(vectors);
  const times: number[] = [];
  let overBudget = 0;
  for (let round = 0; round < 6; round++) {
    for (const q of all) {
      const t0 = performance.now();
      // Past its budget a search fails (the caller hears "I'll check"); count it, keep its time.
      await e.kb.search(e.ids[q.trade], q.q, 3, signal).catch((err: unknown) => {
        if (!(err instanceof KnowledgeTimeoutError)) throw err;
        overBudget++;
      });
      if (round > 0) times.push(performance.now() - t0); // round 0 warms up
    }
  }
  times.sort((a, b) => a - b);
  console.log(
    `  ${vectors.padEnd(9)} p50 ${percentile(times, 50).toFixed(2)} ms  p95 ${percentile(times, 95).toFixed(2)} ms  (${times.length} searches, ${e.chunks} chunks, ${overBudget} over budget)`,
  );
  await e.close();
}
