import { randomBytes } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  enqueue,
  OutboxDispatcher,
  PermanentNotificationError,
  PRIORITY,
  RetryableNotificationError,
  type NewNotification,
} from '../../src/notify/index.js';
import type { Database, Db } from '../../src/store/index.js';
import { calls } from '../../src/store/schema/calls.js';
import { outbox, outboxAttempts } from '../../src/store/schema/outbox.js';
import { createTestTarget, drivers, type TestTarget } from '../store/drivers.js';
import {
  allKinds,
  attemptsOf,
  createBusiness,
  FakeWallClock,
  rowOf,
  ScriptedChannel,
  waitFor,
} from './support/notify-fixtures.js';

const sms = (businessId: string, extra: Partial<NewNotification> = {}): NewNotification => ({
  businessId,
  kind: 'sms',
  recipient: '+15005550006',
  body: 'Emergency: flooding',
  cause: 'test',
  ...extra,
});

describe.each(drivers)('outbox on $name', (driver) => {
  if (driver.skipReason) {
    it.skip(`skipped: ${driver.skipReason}`, () => {});
    return;
  }
  let target: TestTarget;
  let database: Database;
  let db: Db;
  let businessId: string;

  beforeAll(async () => {
    target = await createTestTarget(driver.name);
    database = await target.open();
    db = database.db;
    businessId = await createBusiness(db);
  });
  afterAll(async () => {
    await database?.close();
    await target?.cleanup();
  });

  /** Leaves only the rows a test writes: every dispatcher here claims whatever is due. */
  const clearOutbox = () => db.delete(outbox);

  it('is written atomically with its cause: a rollback leaves neither, a commit both', async () => {
    await clearOutbox();
    const callSid = `CA${randomBytes(16).toString('hex')}`;
    const causeAndNotify = (fail: boolean) =>
      db.transaction(async (tx) => {
        await tx.insert(calls).values({
          callSid,
          businessId,
          direction: 'inbound',
          status: 'in-progress',
          statusAt: new Date(),
        });
        await enqueue(tx, [sms(businessId, { callSid, cause: 'emergency' })]);
        if (fail) throw new Error('the emergency could not be stored');
      });
    await expect(causeAndNotify(true)).rejects.toThrow('could not be stored');
    expect(await db.select().from(calls).where(eq(calls.callSid, callSid))).toHaveLength(0);
    expect(await db.select().from(outbox).where(eq(outbox.callSid, callSid))).toHaveLength(0);

    await causeAndNotify(false);
    expect(await db.select().from(calls).where(eq(calls.callSid, callSid))).toHaveLength(1);
    const rows = await db.select().from(outbox).where(eq(outbox.callSid, callSid));
    expect(rows).toMatchObject([{ status: 'pending', attempts: 0, kind: 'sms', cause: 'emergency' }]);
  });

  it('retries a failing channel with exponential backoff (5 s, then 15 s), then records the success', async () => {
    await clearOutbox();
    const clock = new FakeWallClock();
    const channel = new ScriptedChannel();
    channel.script.push(
      () => {
        throw new RetryableNotificationError('Twilio 503', { code: 'http-503' });
      },
      () => {
        throw new Error('socket hang up'); // an untyped error counts as retryable
      },
    );
    // random() = 0.5 puts the jitter at exactly zero.
    const d = new OutboxDispatcher({ db, channels: allKinds(channel), clock, random: () => 0.5 });
    const [row] = await enqueue(db, [sms(businessId)], { now: clock.date() });

    expect(await d.runOnce()).toBe(1);
    let r = await rowOf(db, row!.id);
    expect(r).toMatchObject({ status: 'failed', attempts: 1, lastError: 'Twilio 503' });
    expect(r.nextAttemptAt.getTime() - clock.now()).toBe(5000);

    clock.advance(4999);
    expect(await d.runOnce()).toBe(0);
    clock.advance(1);
    expect(await d.runOnce()).toBe(1);
    r = await rowOf(db, row!.id);
    expect(r).toMatchObject({ status: 'failed', attempts: 2 });
    expect(r.lastError).toContain('socket hang up');
    expect(r.nextAttemptAt.getTime() - clock.now()).toBe(15_000);

    clock.advance(15_000);
    expect(await d.runOnce()).toBe(1);
    r = await rowOf(db, row!.id);
    expect(r).toMatchObject({ status: 'sent', attempts: 3, lastError: null, providerId: `P-${row!.id}-3` });
    expect(r.sentAt?.getTime()).toBe(clock.now());
    const history = await attemptsOf(db, row!.id);
    expect(history.map((a) => [a.attempt, a.outcome, a.errorCode])).toEqual([
      [1, 'retryable-error', 'http-503'],
      [2, 'retryable-error', null],
      [3, 'sent', null],
    ]);
    expect(history[2]!.providerId).toBe(`P-${row!.id}-3`);
    expect(channel.sent.map((n) => n.attempt)).toEqual([1, 2, 3]);
  });

  it('spreads retries with jitter and honours a longer Retry-After', async () => {
    await clearOutbox();
    const clock = new FakeWallClock();
    const channel = new ScriptedChannel();
    channel.fallback = () => {
      throw new RetryableNotificationError('429', { retryAfterMs: 60_000 });
    };
    const d = new OutboxDispatcher({ db, channels: allKinds(channel), clock, random: () => 0 });
    const [a] = await enqueue(db, [sms(businessId)], { now: clock.date() });
    await d.runOnce();
    expect((await rowOf(db, a!.id)).nextAttemptAt.getTime() - clock.now()).toBe(60_000);

    channel.fallback = () => {
      throw new RetryableNotificationError('503');
    };
    const low = new OutboxDispatcher({ db, channels: allKinds(channel), clock, random: () => 0 });
    const high = new OutboxDispatcher({ db, channels: allKinds(channel), clock, random: () => 0.999999 });
    await clearOutbox();
    const [b, c] = await enqueue(db, [sms(businessId), sms(businessId)], { now: clock.date() });
    await low.runOnce(); // claims both: b and c fail with the lowest jitter
    expect((await rowOf(db, b!.id)).nextAttemptAt.getTime() - clock.now()).toBe(4000);
    await db.update(outbox).set({ nextAttemptAt: clock.date() }).where(eq(outbox.id, c!.id));
    await high.runOnce();
    // Second failure of c: 15 s + 20 %.
    expect((await rowOf(db, c!.id)).nextAttemptAt.getTime() - clock.now()).toBe(18_000);
  });

  it('gives up as dead after max attempts, and at once on a permanent error', async () => {
    await clearOutbox();
    const clock = new FakeWallClock();
    const channel = new ScriptedChannel();
    const d = new OutboxDispatcher({ db, channels: allKinds(channel), clock, random: () => 0.5 });
    const [flaky, refused] = await enqueue(
      db,
      [sms(businessId, { maxAttempts: 3, body: 'flaky' }), sms(businessId, { body: 'refused' })],
      { now: clock.date() },
    );
    channel.fallback = (n) => {
      if (n.body === 'refused')
        throw new PermanentNotificationError("Twilio 400 (21211): invalid 'To'", { code: '21211' });
      throw new RetryableNotificationError('Twilio 500');
    };
    await d.runOnce();
    expect(await rowOf(db, refused!.id)).toMatchObject({ status: 'dead', attempts: 1 });
    expect((await attemptsOf(db, refused!.id)).map((a) => [a.outcome, a.errorCode])).toEqual([
      ['permanent-error', '21211'],
    ]);
    for (let i = 0; i < 5; i++) {
      clock.advance(3_600_000);
      await d.runOnce();
    }
    expect(await rowOf(db, flaky!.id)).toMatchObject({
      status: 'dead',
      attempts: 3,
      lastError: 'Twilio 500',
    });
    expect(channel.sent.filter((n) => n.body === 'flaky')).toHaveLength(3);
  });

  it('writes an undeliverable recipient as dead instead of failing the cause, and dedupes by key', async () => {
    await clearOutbox();
    const rows = await enqueue(db, [
      sms(businessId, { recipient: '555-CALL-NOW' }),
      { ...sms(businessId), kind: 'email', recipient: 'not an address' },
      sms(businessId, { dedupeKey: 'emergency:e1:sms:+15005550006' }),
    ]);
    expect(rows.map((r) => r.status)).toEqual(['dead', 'dead', 'pending']);
    expect((await rowOf(db, rows[0]!.id)).lastError).toContain('E.164');
    const again = await enqueue(db, [sms(businessId, { dedupeKey: 'emergency:e1:sms:+15005550006' })]);
    expect(again).toEqual([]);
  });

  it('claims emergencies before older ordinary notifications', async () => {
    await clearOutbox();
    const clock = new FakeWallClock();
    const channel = new ScriptedChannel();
    const d = new OutboxDispatcher({ db, channels: allKinds(channel), clock, batchSize: 1 });
    await enqueue(db, [sms(businessId, { body: 'lead' })], { now: new Date(clock.now() - 60_000) });
    await enqueue(db, [sms(businessId, { body: 'emergency', priority: PRIORITY.emergency })], {
      now: clock.date(),
    });
    await d.runOnce();
    expect(channel.sent.map((n) => n.body)).toEqual(['emergency']);
  });

  it("takes over a row whose node died mid-send once its lease expires; the late node's result cannot overwrite", async () => {
    await clearOutbox();
    const clock = new FakeWallClock();
    let releaseA!: () => void;
    const stuck = new ScriptedChannel();
    stuck.fallback = () =>
      new Promise((_, reject) => {
        releaseA = () => reject(new RetryableNotificationError('late failure'));
      });
    const a = new OutboxDispatcher({ db, channels: allKinds(stuck), clock, leaseMs: 60_000, nodeId: 'A' });
    const good = new ScriptedChannel();
    const b = new OutboxDispatcher({ db, channels: allKinds(good), clock, leaseMs: 60_000, nodeId: 'B' });
    const [row] = await enqueue(db, [sms(businessId)], { now: clock.date() });

    const aRun = a.runOnce();
    await waitFor(() => stuck.sent.length === 1);
    expect(await b.runOnce()).toBe(0); // leased to A
    clock.advance(60_000);
    expect(await b.runOnce()).toBe(1);
    expect(await rowOf(db, row!.id)).toMatchObject({ status: 'sent', attempts: 2, claimedBy: 'B' });

    releaseA();
    await aRun;
    expect(await rowOf(db, row!.id)).toMatchObject({ status: 'sent', attempts: 2 });
    const history = await attemptsOf(db, row!.id);
    expect(history.map((h) => [h.attempt, h.node, h.outcome])).toEqual([
      [1, 'A', 'retryable-error'],
      [2, 'B', 'sent'],
    ]);
  });

  it('never sends a row twice with several dispatchers running at once', async () => {
    await clearOutbox();
    // On PostgreSQL each dispatcher has its own connection pool, as separate nodes would.
    const extra = driver.name === 'postgres' ? [await target.open(), await target.open()] : [];
    const dbs = [db, ...extra.map((x) => x.db), ...(extra.length ? [] : [db, db])];
    const sentIds: string[] = [];
    const channel = new ScriptedChannel();
    channel.fallback = async (n) => {
      sentIds.push(n.id);
      await new Promise((r) => setTimeout(r, Math.random() * 3));
      return {};
    };
    const n = 300;
    const ids = (
      await enqueue(
        db,
        Array.from({ length: n }, (_, i) => sms(businessId, { body: `n${i}` })),
      )
    ).map((r) => r.id);
    const stop = new AbortController();
    const dispatchers = dbs.map(
      (x, i) =>
        new OutboxDispatcher({ db: x, channels: allKinds(channel), nodeId: `node-${i}`, pollIntervalMs: 5 }),
    );
    const runs = dispatchers.map((d) => d.run(stop.signal));
    try {
      await waitFor(async () => {
        const open = await db
          .select({ id: outbox.id })
          .from(outbox)
          .where(inArray(outbox.status, ['pending', 'sending']));
        return open.length === 0;
      }, 60_000);
    } finally {
      stop.abort();
      await Promise.all(runs);
      for (const x of extra) await x.close();
    }
    expect(sentIds).toHaveLength(n);
    expect(new Set(sentIds).size).toBe(n);
    const rows = await db.select().from(outbox).where(inArray(outbox.id, ids));
    expect(rows.every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);
    const nodes = new Set(rows.map((r) => r.claimedBy));
    expect(nodes.size).toBeGreaterThan(1);
    const attempts = await db.select().from(outboxAttempts).where(inArray(outboxAttempts.outboxId, ids));
    expect(attempts).toHaveLength(n);
  });

  it('reaches the first attempt well within 2 s of the enqueue when woken', async () => {
    await clearOutbox();
    const channel = new ScriptedChannel();
    let sentAt = 0;
    channel.onSend = () => (sentAt ||= performance.now());
    // Polling once a minute: only wake() can explain a fast first attempt.
    const d = new OutboxDispatcher({ db, channels: allKinds(channel), pollIntervalMs: 60_000 });
    const stop = new AbortController();
    const run = d.run(stop.signal);
    try {
      await new Promise((r) => setTimeout(r, 200)); // the loop is asleep now
      const started = performance.now();
      await db.transaction((tx) =>
        enqueue(tx, [sms(businessId, { cause: 'emergency', priority: PRIORITY.emergency })]),
      );
      d.wake();
      await waitFor(() => sentAt > 0, 5000);
      expect(sentAt - started).toBeLessThan(2000);
    } finally {
      stop.abort();
      await run;
    }
  });

  it('an emergency is not held up while stalled ordinary sends fill every slot', async () => {
    await clearOutbox();
    const channel = new ScriptedChannel();
    channel.fallback = (n, signal) =>
      n.body === 'slow'
        ? new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)))
        : {};
    const d = new OutboxDispatcher({
      db,
      channels: allKinds(channel),
      pollIntervalMs: 60_000,
      maxInFlight: 2,
      urgentReserve: 1,
    });
    await enqueue(
      db,
      [1, 2, 3, 4].map(() => sms(businessId, { body: 'slow' })),
    );
    const stop = new AbortController();
    const run = d.run(stop.signal);
    try {
      await waitFor(() => channel.sent.length === 2);
      await enqueue(db, [sms(businessId, { body: 'urgent', priority: PRIORITY.emergency })]);
      d.wake();
      await waitFor(() => channel.sent.some((n) => n.body === 'urgent'), 3000);
      expect(channel.sent.filter((n) => n.body === 'slow')).toHaveLength(2);
    } finally {
      stop.abort();
      await run;
    }
  });

  it('stops cleanly on abort: the send in flight is told, recorded as aborted, and left for any node', async () => {
    await clearOutbox();
    const channel = new ScriptedChannel();
    channel.fallback = (_n, signal) =>
      new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));
    const d = new OutboxDispatcher({ db, channels: allKinds(channel), pollIntervalMs: 10 });
    const [row] = await enqueue(db, [sms(businessId)]);
    const stop = new AbortController();
    const run = d.run(stop.signal);
    await waitFor(() => channel.sent.length === 1);
    stop.abort();
    await run;
    const r = await rowOf(db, row!.id);
    expect(r).toMatchObject({ status: 'failed', attempts: 1, lastError: 'aborted: dispatcher stopped' });
    expect(r.nextAttemptAt.getTime()).toBeLessThanOrEqual(Date.now());
    expect((await attemptsOf(db, row!.id)).map((a) => a.outcome)).toEqual(['aborted']);
  });
});
