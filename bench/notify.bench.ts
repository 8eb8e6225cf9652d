/**
 * Outbox latency on the embedded database (PGlite): from the start of the transaction that
 * enqueues an emergency notification to the start of its first delivery attempt, with the
 * dispatcher woken after the commit (polling is set to a minute, so only the wake counts).
 *
 *   idle:     nothing else in the outbox
 *   backlog:  2,000 ordinary notifications draining through a channel that takes 20 ms each
 *   stalled:  every ordinary slot held by a send that never answers (the emergency reserve)
 *
 * Run: npx tsx bench/notify.bench.ts [samples]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { enqueue, OutboxDispatcher, PRIORITY, type NewNotification } from '../src/notify/index.js';
import type { ChannelMap, NotificationChannel, OutboundNotification } from '../src/notify/index.js';
import { BusinessesRepo, openDatabase, type Db } from '../src/store/index.js';
import { outbox } from '../src/store/schema/outbox.js';

const SAMPLES = Number(process.argv[2] ?? 200);
const silent = { info() {}, warn() {}, error() {}, debug() {} };

type Waiter = (at: number) => void;

/** Resolves the waiter registered for an emergency when its first attempt starts. */
class BenchChannel implements NotificationChannel {
  readonly name = 'bench';
  readonly waiters = new Map<string, Waiter>();
  ordinary: (signal: AbortSignal) => Promise<void> = async () => {};
  async send(n: OutboundNotification, signal: AbortSignal) {
    const at = performance.now();
    const w = this.waiters.get(n.body);
    if (w) {
      this.waiters.delete(n.body);
      w(at);
      return {};
    }
    await this.ordinary(signal);
    return {};
  }
}

const all = (c: NotificationChannel): ChannelMap => ({
  sms: c,
  'voice-call': c,
  email: c,
  slack: c,
  whatsapp: c,
});

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function measure(
  db: Db,
  d: OutboxDispatcher,
  ch: BenchChannel,
  businessId: string,
  n: number,
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const body = `emergency-${i}-${Math.random()}`;
    const attempted = new Promise<number>((resolve) => ch.waiters.set(body, resolve));
    const started = performance.now();
    const notification: NewNotification = {
      businessId,
      kind: 'sms',
      recipient: '+15005550101',
      body,
      cause: 'emergency',
      priority: PRIORITY.emergency,
    };
    await db.transaction((tx) => enqueue(tx, [notification]));
    d.wake();
    out.push((await attempted) - started);
    await new Promise((r) => setTimeout(r, 2));
  }
  return out.sort((a, b) => a - b);
}

function report(name: string, ms: number[]): void {
  console.log(
    `${name.padEnd(9)} n=${ms.length}  p50 ${pct(ms, 50).toFixed(1)} ms  p95 ${pct(ms, 95).toFixed(1)} ms  max ${ms.at(-1)!.toFixed(1)} ms`,
  );
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sb-notify-bench-'));
  const database = await openDatabase({ dataDir, logger: silent });
  try {
    const db = database.db;
    const businessId = (await new BusinessesRepo(db).create({ name: 'Bench', greeting: 'Hi' })).id;
    console.log(`enqueue -> first attempt, PGlite, woken after commit (${SAMPLES} samples each)`);

    // idle
    {
      const ch = new BenchChannel();
      const d = new OutboxDispatcher({ db, channels: all(ch), pollIntervalMs: 60_000 });
      const stop = new AbortController();
      const run = d.run(stop.signal);
      await new Promise((r) => setTimeout(r, 100));
      report('idle', await measure(db, d, ch, businessId, SAMPLES));
      stop.abort();
      await run;
    }

    // backlog
    {
      await db.delete(outbox);
      const ch = new BenchChannel();
      ch.ordinary = () => new Promise((r) => setTimeout(r, 20));
      const backlog: NewNotification[] = Array.from({ length: 2000 }, (_, i) => ({
        businessId,
        kind: 'email',
        recipient: 'office@bench.test',
        subject: 'lead',
        body: `lead ${i}`,
        cause: 'lead',
      }));
      await enqueue(db, backlog);
      const d = new OutboxDispatcher({ db, channels: all(ch), pollIntervalMs: 60_000 });
      const stop = new AbortController();
      const run = d.run(stop.signal);
      await new Promise((r) => setTimeout(r, 100));
      report('backlog', await measure(db, d, ch, businessId, Math.min(SAMPLES, 100)));
      stop.abort();
      await run;
    }

    // stalled
    {
      await db.delete(outbox);
      const ch = new BenchChannel();
      ch.ordinary = (signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve()));
      await enqueue(
        db,
        Array.from({ length: 32 }, (_, i) => ({
          businessId,
          kind: 'email' as const,
          recipient: 'office@bench.test',
          body: `stuck ${i}`,
          cause: 'lead',
        })),
      );
      const d = new OutboxDispatcher({
        db,
        channels: all(ch),
        pollIntervalMs: 60_000,
        sendTimeoutMs: 600_000,
      });
      const stop = new AbortController();
      const run = d.run(stop.signal);
      await new Promise((r) => setTimeout(r, 200));
      report('stalled', await measure(db, d, ch, businessId, Math.min(SAMPLES, 100)));
      stop.abort();
      await run;
    }

    // throughput
    {
      await db.delete(outbox);
      const ch = new BenchChannel();
      const total = 2000;
      let sent = 0;
      let done!: () => void;
      const finished = new Promise<void>((r) => (done = r));
      ch.ordinary = async () => {
        if (++sent === total) done();
      };
      await enqueue(
        db,
        Array.from({ length: total }, (_, i) => ({
          businessId,
          kind: 'sms' as const,
          recipient: '+15005550101',
          body: `t ${i}`,
          cause: 'lead',
        })),
      );
      const d = new OutboxDispatcher({ db, channels: all(ch), pollIntervalMs: 50 });
      const stop = new AbortController();
      const started = performance.now();
      const run = d.run(stop.signal);
      await finished;
      const secs = (performance.now() - started) / 1000;
      console.log(
        `throughput ${total} notifications through an instant channel: ${(total / secs).toFixed(0)} /s`,
      );
      stop.abort();
      await run;
    }
  } finally {
    await database.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
