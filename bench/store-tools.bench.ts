/**
 * The receptionist's writes through the store tools, on the embedded database (PGlite) and, when
 * TEST_DATABASE_URL names a server, on PostgreSQL:
 *
 *   emergency:  raiseEmergency() (record + SMS, email, voice alert in one transaction) until it
 *               returns, and from its call to the first delivery attempt started by the dispatcher
 *               (woken after the commit; polling set to a minute so only the wake counts)
 *   lead:       one saveLead() upsert (no notification)
 *   booking:    one book() with its confirmation SMS
 *   race:       16 callers booking the same slot at once: how many get it (must be 1)
 *
 * Run: npx tsx bench/store-tools.bench.ts [samples]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createStoreTools } from '../src/agent/store-tools.js';
import type { AgentTools } from '../src/agent/tools.js';
import { asCallSid, type E164 } from '../src/ids.js';
import {
  AlertEscalations,
  Notifier,
  OutboxDispatcher,
  type ChannelMap,
  type NotificationChannel,
} from '../src/notify/index.js';
import {
  BusinessesRepo,
  CallsRepo,
  DEMO_BUSINESS,
  openDatabase,
  type Business,
  type Db,
} from '../src/store/index.js';

const SAMPLES = Number(process.argv[2] ?? 100);
const silent = { info() {}, warn() {}, error() {}, debug() {} };
const never = new AbortController().signal;
/** Monday 2 March 2026, 8 a.m. New York: a whole week of opening hours ahead. */
const NOW = new Date('2026-03-02T13:00:00Z');

class FirstAttempt implements NotificationChannel {
  readonly name = 'bench';
  waiter: ((at: number) => void) | undefined;
  async send() {
    const w = this.waiter;
    this.waiter = undefined;
    w?.(performance.now());
    return {};
  }
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
function line(name: string, ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  return `  ${name.padEnd(28)} n=${s.length}  p50 ${pct(s, 50).toFixed(1)} ms  p95 ${pct(s, 95).toFixed(1)} ms  max ${s.at(-1)!.toFixed(1)} ms`;
}

async function run(label: string, db: Db): Promise<void> {
  const business: Business = await new BusinessesRepo(db).create({ ...DEMO_BUSINESS, phoneNumbers: [] });
  const channel = new FirstAttempt();
  const channels: ChannelMap = {
    sms: channel,
    'voice-call': channel,
    email: channel,
    slack: channel,
    whatsapp: channel,
  };
  const dispatcher = new OutboxDispatcher({ db, channels, pollIntervalMs: 60_000, logger: silent });
  const notifier = new Notifier({ db, outbox: dispatcher, escalations: new AlertEscalations({ db }) });
  const stop = new AbortController();
  const running = dispatcher.run(stop.signal);
  let seq = 0;
  const tools = async (): Promise<AgentTools> => {
    const callSid = `CA${(++seq).toString(16).padStart(8, '0')}${randomBytes(12).toString('hex')}`;
    await new CallsRepo(db).create({
      callSid: asCallSid(callSid),
      businessId: business.id,
      from: '+13125550199',
    });
    return createStoreTools(
      { db, notifier, searchKnowledge: async () => [], now: () => NOW, logger: silent },
      { business, callSid, channel: 'phone', callerId: '+13125550199' as E164 },
    );
  };

  const transcript = [{ speaker: 'caller' as const, text: 'My basement is flooding!' }];
  const raised: number[] = [];
  const attempted: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t = await tools();
    const first = new Promise<number>((resolve) => (channel.waiter = resolve));
    const t0 = performance.now();
    await t.raiseEmergency(
      { category: 'flooding', trigger: 'flooding', summary: 'Basement flooding', transcript },
      never,
    );
    raised.push(performance.now() - t0);
    attempted.push((await first) - t0);
    // Let the rest of this emergency's notifications drain before the next sample.
    await new Promise((r) => setTimeout(r, 20));
  }

  const leads: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t = await tools();
    const t0 = performance.now();
    await t.saveLead({ fields: { name: 'Dana Lee' }, complete: false, transcript }, never);
    leads.push(performance.now() - t0);
  }

  const booked: number[] = [];
  const day = 86_400_000;
  for (let i = 0; i < Math.min(SAMPLES, 40); i++) {
    const t = await tools();
    // Monday to Friday this week, 9 a.m. to 4 p.m. New York: a free hour each time.
    const start = new Date(NOW.getTime() + (i % 5) * day + 3_600_000 * (1 + Math.floor(i / 5)));
    const t0 = performance.now();
    const r = await t.book({ serviceId: 'drain-cleaning', start: start.toISOString() }, never);
    booked.push(performance.now() - t0);
    if (!r.ok) throw new Error(`bench booking refused: ${r.reason}`);
  }

  const racers = await Promise.all(Array.from({ length: 16 }, () => tools()));
  const slot = new Date(NOW.getTime() + 7 * day + 2 * 3_600_000).toISOString();
  const t0 = performance.now();
  const results = await Promise.all(
    racers.map((t) => t.book({ serviceId: 'leak-repair', start: slot }, never)),
  );
  const raceMs = performance.now() - t0;

  stop.abort();
  await running;
  console.log(`${label}`);
  console.log(line('emergency write', raised));
  console.log(line('emergency -> first attempt', attempted));
  console.log(line('lead upsert', leads));
  console.log(line('booking + confirmation', booked));
  console.log(
    `  race: 16 callers, one slot: ${results.filter((r) => r.ok).length} booked, ${results.filter((r) => !r.ok && r.reason === 'taken').length} taken (${raceMs.toFixed(0)} ms)`,
  );
}

const dir = mkdtempSync(path.join(tmpdir(), 'sb-store-tools-bench-'));
try {
  const lite = await openDatabase({ dataDir: dir, logger: silent });
  try {
    await run('PGlite (embedded)', lite.db);
  } finally {
    await lite.close();
  }
  const admin = process.env['TEST_DATABASE_URL'];
  if (admin) {
    const name = `switchboard_bench_${randomBytes(4).toString('hex')}`;
    const q = async (sql: string) => {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query(sql);
      } finally {
        await c.end();
      }
    };
    await q(`create database ${name}`);
    const url = new URL(admin);
    url.pathname = `/${name}`;
    try {
      const server = await openDatabase({ dataDir: dir, databaseUrl: url.toString(), logger: silent });
      try {
        await run('PostgreSQL', server.db);
      } finally {
        await server.close();
      }
    } finally {
      await q(`drop database if exists ${name} with (force)`);
    }
  } else console.log('PostgreSQL: skipped (TEST_DATABASE_URL unset)');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
