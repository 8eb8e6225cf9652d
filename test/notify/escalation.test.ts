import { and, asc, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AlertEscalations, OutboxDispatcher } from '../../src/notify/index.js';
import { asBusinessId } from '../../src/ids.js';
import { EmergenciesRepo, type Database, type Db } from '../../src/store/index.js';
import type { AlertPorts } from '../../src/telephony/twilio/alert-routes.js';
import { alertEscalations, outbox } from '../../src/store/schema/outbox.js';
import { createTestTarget, drivers, type TestTarget } from '../store/drivers.js';
import { allKinds, createBusiness, FakeWallClock, ScriptedChannel } from './support/notify-fixtures.js';

const OWNER = '+15005550101';
const DEPUTY = '+15005550102';
const MINUTE = 60_000;

describe.each(drivers)('voice-alert escalation on $name', (driver) => {
  if (driver.skipReason) {
    it.skip(`skipped: ${driver.skipReason}`, () => {});
    return;
  }
  let target: TestTarget;
  let database: Database;
  let db: Db;
  let businessId: string;
  let clock: FakeWallClock;
  let esc: AlertEscalations;
  let woken = 0;

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
  beforeEach(async () => {
    await db.delete(outbox);
    await db.delete(alertEscalations);
    clock = new FakeWallClock();
    woken = 0;
    esc = new AlertEscalations({ db, clock, outbox: { wake: () => woken++ } });
  });

  const begin = () =>
    db.transaction((tx) =>
      esc.start(tx, {
        businessId,
        cause: 'emergency',
        causeId: 'em-1',
        callSid: 'CA-caller',
        message: 'Emergency alert for Acme. A caller reported flooding.',
        contacts: [OWNER, DEPUTY],
        callsPerContact: 2,
        ackTimeoutMs: 2 * MINUTE,
      }),
    );
  const calls = () =>
    db
      .select()
      .from(outbox)
      .where(eq(outbox.kind, 'voice-call'))
      .orderBy(asc(outbox.createdAt), asc(outbox.recipient));
  const state = async (id: string) => (await esc.get(id))!;
  /** What a dispatcher does when Twilio takes the calls: the acknowledgement timeout only runs then. */
  const placed = () =>
    db
      .update(outbox)
      .set({ status: 'sent', sentAt: clock.date() })
      .where(and(eq(outbox.kind, 'voice-call'), inArray(outbox.status, ['pending', 'failed'])));

  it('calls the owner twice, then the deputy twice, each unacknowledged after the timeout, then gives up', async () => {
    const started = await begin();
    expect(started).toBeDefined();
    const id = started!.escalationId;
    let rows = await calls();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      recipient: OWNER,
      status: 'pending',
      cause: 'emergency',
      causeId: 'em-1',
      callSid: 'CA-caller',
      payload: { escalationId: id, step: 0 },
    });
    expect(rows[0]!.priority).toBeGreaterThan(0);

    await placed();
    clock.advance(2 * MINUTE - 1);
    expect(await esc.tick()).toBe(0);
    const expected = [OWNER, OWNER, DEPUTY, DEPUTY];
    for (let step = 1; step < 4; step++) {
      await placed();
      clock.advance(step === 1 ? 1 : 2 * MINUTE);
      expect(await esc.tick()).toBe(1);
      rows = await calls();
      expect(rows.map((r) => r.recipient)).toEqual(expected.slice(0, step + 1));
      expect(rows.at(-1)!.payload).toEqual({ escalationId: id, step });
      expect((await state(id)).step).toBe(step);
    }
    expect(woken).toBe(3);
    await placed();
    clock.advance(2 * MINUTE);
    expect(await esc.tick()).toBe(1);
    expect(await state(id)).toMatchObject({ status: 'exhausted', step: 3, nextCheckAt: null });
    expect(await calls()).toHaveLength(4);
    clock.advance(60 * MINUTE);
    expect(await esc.tick()).toBe(0);
  });

  it('pressing 1 stops the escalation and cancels a next call not yet placed', async () => {
    const { escalationId: id } = (await begin())!;
    await placed();
    clock.advance(2 * MINUTE);
    await esc.tick(); // step 1 call to the owner is pending
    const result = await esc.acknowledge({ escalationId: id, step: 0, callSid: 'CA-alert-0' });
    expect(result).toBe('acknowledged');
    expect(await state(id)).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: OWNER,
      ackCallSid: 'CA-alert-0',
      acknowledgedAt: clock.date(),
      nextCheckAt: null,
    });
    const rows = await calls();
    expect(rows.map((r) => r.status)).toEqual(['sent', 'cancelled']);
    expect(rows[1]!.lastError).toContain('acknowledged');
    clock.advance(30 * MINUTE);
    expect(await esc.tick()).toBe(0);
    expect(await esc.acknowledge({ escalationId: id, step: 1, callSid: 'CA-x' })).toBe(
      'already-acknowledged',
    );
  });

  it('pressing 1 acknowledges the emergency itself too, naming who pressed it', async () => {
    const emergencies = new EmergenciesRepo(db);
    const em = await emergencies.create({
      businessId: asBusinessId(businessId),
      category: 'flooding',
      trigger: 'basement is flooding',
      summary: 'A caller reported flooding.',
      transcript: [],
    });
    const started = await db.transaction((tx) =>
      esc.start(tx, {
        businessId,
        cause: 'emergency',
        causeId: em.id,
        callSid: 'CA-caller',
        message: 'Emergency alert for Acme.',
        contacts: [OWNER, DEPUTY],
        callsPerContact: 2,
        ackTimeoutMs: 2 * MINUTE,
      }),
    );
    expect(await esc.acknowledge({ escalationId: started!.escalationId, step: 0, callSid: 'CA-a' })).toBe(
      'acknowledged',
    );
    expect(await emergencies.get(em.id)).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: OWNER,
      acknowledgedAt: clock.date(),
    });
  });

  it('a call the dispatcher already placed is not cancelled by the acknowledgement', async () => {
    const { escalationId: id, outboxId } = (await begin())!;
    const dispatcher = new OutboxDispatcher({ db, channels: allKinds(new ScriptedChannel()), clock });
    await dispatcher.runOnce();
    await esc.acknowledge({ escalationId: id, step: 0, callSid: 'CA-alert-0' });
    const [row] = await db.select().from(outbox).where(eq(outbox.id, outboxId));
    expect(row!.status).toBe('sent');
  });

  it('a no-answer or busy status moves on at once; a late or repeated callback is ignored', async () => {
    const { escalationId: id } = (await begin())!;
    expect(await esc.callEnded({ escalationId: id, step: 0, callSid: 'CA-0', status: 'no-answer' })).toBe(
      'advanced',
    );
    expect((await state(id)).step).toBe(1);
    expect((await state(id)).nextCheckAt).toEqual(new Date(clock.now() + 2 * MINUTE));
    expect(await esc.callEnded({ escalationId: id, step: 0, callSid: 'CA-0', status: 'completed' })).toBe(
      'ignored',
    );
    expect(await esc.callEnded({ escalationId: id, step: 1, callSid: 'CA-1', status: 'busy' })).toBe(
      'advanced',
    );
    expect((await calls()).map((r) => r.recipient)).toEqual([OWNER, OWNER, DEPUTY]);
    expect(woken).toBe(2);
  });

  it('an acknowledgement after the list ran out still counts; unknown escalations do not', async () => {
    const { escalationId: id } = (await begin())!;
    for (let i = 0; i < 4; i++) {
      await placed();
      clock.advance(2 * MINUTE);
      await esc.tick();
    }
    expect((await state(id)).status).toBe('exhausted');
    expect(await esc.acknowledge({ escalationId: id, step: 3, callSid: 'CA-3' })).toBe('acknowledged');
    expect(await state(id)).toMatchObject({ status: 'acknowledged', acknowledgedBy: DEPUTY });
    expect(await esc.acknowledge({ escalationId: crypto.randomUUID(), step: 0, callSid: 'CA' })).toBe(
      'unknown',
    );
    // A step that was never called cannot be acknowledged.
    const second = (await begin())!;
    expect(await esc.acknowledge({ escalationId: second.escalationId, step: 2, callSid: 'CA' })).toBe(
      'unknown',
    );
  });

  it('serves the alert routes as their ports', () => {
    const ports: AlertPorts = esc;
    expect(typeof ports.acknowledge).toBe('function');
  });

  it('with nobody to call there is no escalation', async () => {
    expect(
      await db.transaction((tx) =>
        esc.start(tx, { businessId, cause: 'emergency', message: 'x', contacts: [] }),
      ),
    ).toBeUndefined();
  });

  it('two nodes ticking at once advance each due escalation once', async () => {
    const { escalationId: id } = (await begin())!;
    const other = new AlertEscalations({ db, clock, outbox: { wake() {} } });
    await placed();
    clock.advance(2 * MINUTE);
    const [a, b] = await Promise.all([esc.tick(), other.tick()]);
    expect(a + b).toBe(1);
    expect((await state(id)).step).toBe(1);
    const steps = await db
      .select()
      .from(outbox)
      .where(and(eq(outbox.kind, 'voice-call'), eq(outbox.recipient, OWNER)));
    expect(steps).toHaveLength(2);
  });

  it('two escalation runners racing every way to advance the same step advance it exactly once', async () => {
    // On PostgreSQL the second runner has its own connection pool, as another node would.
    const extra = driver.name === 'postgres' ? await target.open() : undefined;
    try {
      const other = new AlertEscalations({ db: extra?.db ?? db, clock, outbox: { wake() {} } });
      for (let round = 0; round < 8; round++) {
        await db.delete(outbox);
        await db.delete(alertEscalations);
        const { escalationId: id } = (await begin())!;
        await placed();
        clock.advance(2 * MINUTE);
        // The ack timeout on two nodes, a no-answer callback and a give-up for the same call.
        const results = await Promise.all([
          esc.tick(),
          other.tick(),
          other.callEnded({ escalationId: id, step: 0, callSid: 'CA-0', status: 'no-answer' }),
          esc.callGaveUp({ escalationId: id, step: 0 }),
          other.callGaveUp({ escalationId: id, step: 0 }),
        ]);
        const advancedBy = results.filter((r) => r === 1 || r === 'advanced').length;
        expect(advancedBy).toBe(1);
        const e = await state(id);
        expect(e.step).toBe(1);
        const rows = await calls();
        // Step 0's call and exactly one call for step 1: never two steps ringing, never a repeat.
        expect(rows.map((r) => (r.payload as { step: number }).step).sort()).toEqual([0, 1]);
        expect(e.currentOutboxId).toBe(rows.find((r) => (r.payload as { step: number }).step === 1)!.id);
      }
    } finally {
      await extra?.close();
    }
  });

  it('a step left sending by a dead node is cancelled when the escalation moves on, so it is never placed late', async () => {
    const { escalationId: id, outboxId } = (await begin())!;
    await db.update(outbox).set({ status: 'sending', claimedBy: 'dead-node' }).where(eq(outbox.id, outboxId));
    expect(await esc.callEnded({ escalationId: id, step: 0, callSid: 'CA-0', status: 'failed' })).toBe(
      'advanced',
    );
    const [row] = await db.select().from(outbox).where(eq(outbox.id, outboxId));
    expect(row!.status).toBe('cancelled');
  });

  it('runs its own loop on the clock until aborted', async () => {
    const { escalationId: id } = (await begin())!;
    const stop = new AbortController();
    const running = new AlertEscalations({ db, clock, pollIntervalMs: 1000 });
    const loop = running.run(stop.signal);
    await placed();
    clock.advance(2 * MINUTE);
    // The loop's sleep ends on the fake clock; give its tick real time to hit the database.
    for (let i = 0; i < 200 && (await state(id)).step === 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
      clock.advance(1000);
    }
    expect((await state(id)).step).toBe(1);
    stop.abort();
    await loop;
  });
});
