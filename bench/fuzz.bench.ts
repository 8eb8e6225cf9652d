/**
 * Fuzz at scale: the real app in this process (PGlite in a temp DATA_DIR), mutated messages on
 * every edge a caller reaches (Twilio media stream, chat widget socket, browser-call media socket,
 * unsigned then signed Twilio webhooks, JSON API bodies with the API key; bench/support/fuzz.ts).
 * Prints messages per target and their answers, 5xx answers and 1011 closes with samples, error
 * log lines, unhandled rejections, rows stored by unsigned webhooks, malformed rows, whether the
 * server still answers, and messages per second. Prints figures; never asserts (test/http/fuzz.test.ts does, at CI size).
 * Run: npx tsx bench/fuzz.bench.ts [messages, default 100000] [seed, default 14] [targets, e.g. api,chat]
 * Target (issue 14): >= 100,000 messages, no crash, no 5xx, nothing stored wrongly.
 */
import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { createLogger } from '../src/http/logger.js';
import { rowsOf } from '../src/store/index.js';
import { startTestServer } from '../test/support/test-server.js';
import { FUZZ_TARGETS, runFuzz, type FuzzTargetName } from './support/fuzz.js';
import { malformedRows, rowCounts } from './support/fuzz-store.js';
import { BENCH_ENV } from './support/server-node.js';

const total = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? 14);
/** Only these targets (comma-separated), each with its share of the total: to chase one finding. */
const only = process.argv[4]?.split(',');
/** Shares of the messages per target. */
const SHARE: Record<FuzzTargetName, number> = {
  'webhook-unsigned': 0.15,
  'media-stream': 0.3,
  chat: 0.15,
  'web-call': 0.15,
  'webhook-signed': 0.15,
  api: 0.1,
};

let unhandled = 0;
process.on('unhandledRejection', (err) => {
  unhandled++;
  console.error('unhandled rejection', err);
});
const errorLines: string[] = [];
const logs = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString().split('\n').filter(Boolean)) errorLines.push(line);
    done();
  },
});
const { LOG_LEVEL: _level, ...env } = BENCH_ENV;
const server = await startTestServer(
  { ...env, TWILIO_API_BASE_URL: 'http://127.0.0.1:9' },
  { logger: createLogger({ level: 'error', destination: logs }) },
);
const db = server.app.database.db;
const [biz] = rowsOf<{ public_key: string }>(
  await db.execute(sql`select public_key from businesses limit 1`),
);
const before = await rowCounts(db);
let afterUnsigned: Record<string, number> = {};
const t0 = performance.now();
const report = await runFuzz(
  {
    baseUrl: server.baseUrl,
    authToken: server.app.twilioAuthToken,
    apiKey: server.app.apiKey,
    publicKey: biz!.public_key,
  },
  {
    seed,
    perTarget: Object.fromEntries(
      FUZZ_TARGETS.filter((t) => !only || only.includes(t)).map((t) => [t, Math.ceil(total * SHARE[t])]),
    ),
    afterTarget: async (name) => {
      if (name === 'webhook-unsigned') afterUnsigned = await rowCounts(db);
      console.log(`  ${name} done, ${((performance.now() - t0) / 1000).toFixed(0)} s so far`);
    },
  },
);
const seconds = (performance.now() - t0) / 1000;
const health = await fetch(`${server.baseUrl}/health`).then(
  (r) => r.status,
  () => 0,
);
const sent = Object.values(report.sent).reduce((a, b) => a + b, 0);
console.log(
  `\nFuzz: ${sent} messages in ${seconds.toFixed(0)} s (${(sent / seconds).toFixed(0)}/s), seed ${seed}`,
);
console.log('  target             sent   s      answers');
for (const t of FUZZ_TARGETS) {
  const answers = Object.entries(report.outcomes[t])
    .sort()
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  console.log(
    `  ${t.padEnd(17)}  ${String(report.sent[t]).padStart(6)}  ${(report.ms[t] / 1000).toFixed(0).padStart(4)}  ${answers}`,
  );
}
const stored = Object.keys(before).filter((k) => before[k] !== afterUnsigned[k]);
const malformed = await malformedRows(db);
/** Each kind once, with how often and its first sample: one kind must not hide the others. */
const byKind = <T>(items: T[], kind: (x: T) => string): Array<[string, number, T]> => {
  const seen = new Map<string, [number, T]>();
  for (const x of items) {
    const k = kind(x);
    const s = seen.get(k);
    if (s) s[0]++;
    else seen.set(k, [1, x]);
  }
  return [...seen].map(([k, [n, x]]) => [k, n, x]);
};
console.log(`  5xx answers, 1011 closes, failed requests, unsigned 2xx: ${report.findings.length}`);
for (const [k, n, f] of byKind(
  report.findings,
  (f) =>
    `${f.target} ${f.what} ${f.sample.split(' ')[0]} ${
      f.sample
        .split(' ')[1]
        ?.replace(/^https?:\/\/[^/]+/, '')
        .split('?')[0]
    }`,
))
  console.log(`    ${n} × ${k}: ${f.sample.slice(0, 300)}`);
console.log(`  error log lines: ${errorLines.length}`);
const messageOf = (line: string) => {
  try {
    const j = JSON.parse(line) as { msg?: string; err?: { type?: string; message?: string } };
    return `${j.msg ?? ''} ${j.err?.type ?? ''} ${(j.err?.message ?? '').slice(0, 60)}`;
  } catch {
    return line.slice(0, 80);
  }
};
for (const [k, n, l] of byKind(errorLines, messageOf))
  console.log(`    ${n} × ${k}\n      ${l.slice(0, 400)}`);
console.log(`  unhandled rejections: ${unhandled}`);
console.log(
  `  tables changed by unsigned webhooks: ${
    !report.sent['webhook-unsigned'] ? 'not run' : stored.length ? stored.join(', ') : 'none'
  }`,
);
console.log(`  malformed rows: ${malformed.length}`);
for (const m of malformed.slice(0, 5)) console.log(`    ${m}`);
console.log(
  `  server alive after the run: ${health > 0 && health < 500 ? `yes (GET /health ${health})` : `NO (${health})`}`,
);
console.log(
  `  RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB at the end (server and fuzzer in one process)`,
);
await server.stop();
process.exit(0);
