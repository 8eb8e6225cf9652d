import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AlertEscalations,
  DeliveryAlarms,
  enqueue,
  OutboxDispatcher,
  PRIORITY,
  RetryableNotificationError,
  type NewNotification,
} from '../../src/notify/index.js';
import { asBusinessId } from '../../src/ids.js';
import { EmergenciesRepo, type Database, type Db } from '../../src/store/index.js';
import { emergencies } from '../../src/store/schema/emergencies.js';
import { alertEscalations, outbox } from '../../src/store/schema/outbox.js';
import { createTestTarget, drivers, type TestTarget } from '../store/drivers.js';
import {
  allKinds,
  attemptsOf,
  createBusiness,
  FakeWallClock,
  rowOf,
  ScriptedChannel,
} from './support/notify-fixtures.js';

/**
 * A provider outage on a fake clock: emergency rows keep trying for 15 minutes with a short capped
 * backoff (so the first attempt after the provider is back comes within seconds), then the alarm
 * is raised and the escalation moves to the next contact. Ordinary rows keep their policy.
 */

const OWNER = '+15005550101';
const DEPUTY = '+15005550102';
const SECOND = 1000;
const MINUTE = 60 * SECOND;

describe.each(drivers)('emergency notifications through a provider outage on $name', (driver) => {
  if (driver.skipReason) {
    it.skip(`skipped: ${driver.skipReason}`, () => {});
    return;
  }
  let target: TestTarget;
  let database: Database;
  let db: Db;
  let businessId: string;
  let clock: FakeWallClock;
  /** Until this clock time every send fails as a 500 would. */
  let downUntil: number;
  let channel: ScriptedChannel;
  let attemptTimes: number[];

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
    attemptTimes = [];
    channel = new ScriptedChannel();
    channel.fallback = () => {
      attemptTimes.push(clock.now());
      if (clock.now() < downUntil) {
        throw new RetryableNotificationError('Twilio 500 (20500): Internal Server Error', { code: '20500' });
      }
      return { providerId: `SM${clock.now()}` };
    };
  });

  const emergencySms = (extra: Partial<NewNotification> = {}): NewNotification => ({
    businessId,
    kind: 'sms',
    recipient: OWNER,
    body: 'EMERGENCY (flooding) at Acme Plumbing',
    cause: 'emergency',
    priority: PRIORITY.emergency,
    ...extra,
  });

  /** Runs the dispatcher at every moment a row falls due, until `untilMs` on the clock. */
  async function drive(d: OutboxDispatcher, untilMs: number, esc?: AlertEscalations): Promise<void> {
    for (;;) {
      await d.runOnce();
      await esc?.tick();
      const open = await db
        .select({ at: outbox.nextAttemptAt })
        .from(outbox)
        .where(eq(outbox.priority, PRIORITY.emergency));
      const [e] = esc ? await db.select().from(alertEscalations) : [];
      const times = [
        ...open.map((r) => r.at.getTime()),
        ...(e?.nextCheckAt ? [e.nextCheckAt.getTime()] : []),
      ].filter((t) => t > clock.now());
      const next = Math.min(...times, untilMs);
      if (next >= untilMs || !Number.isFinite(next)) {
        clock.advance(Math.max(0, untilMs - clock.now()));
        await d.runOnce();
        return;
      }
      clock.advance(next - clock.now());
    }
  }

  it('30 s of 500s: the emergency SMS is retried every few seconds, not given up, and goes out within 10 s of recovery', async () => {
    downUntil = clock.now() + 30 * SECOND;
    const [row] = await enqueue(db, [emergencySms()], { now: clock.date() });
    const d = new OutboxDispatcher({ db, clock, channels: allKinds(channel), random: () => 0.999 });
    await drive(d, clock.now() + 2 * MINUTE);
    const r = await rowOf(db, row!.id);
    expect(r.status).toBe('sent');
    const firstAfterRecovery = attemptTimes.find((t) => t >= downUntil)!;
    expect(firstAfterRecovery - downUntil).toBeLessThan(10 * SECOND);
    // Backoff 1, 2, 4 s then capped at 4 s (+ jitter never past the cap).
    const gaps = attemptTimes.slice(1).map((t, i) => t - attemptTimes[i]!);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(4 * SECOND);
    expect((await attemptsOf(db, row!.id)).at(-1)!.outcome).toBe('sent');
  });

  it('an alert call through a 30 s outage is placed after it, not dead after 3 attempts; the escalation waits for it', async () => {
    downUntil = clock.now() + 30 * SECOND;
    const esc = new AlertEscalations({ db, clock });
    const started = await db.transaction((tx) =>
      esc.start(tx, {
        businessId,
        cause: 'emergency',
        message: 'Emergency alert for Acme.',
        contacts: [OWNER, DEPUTY],
        callsPerContact: 1,
        ackTimeoutMs: 20 * SECOND,
      }),
    );
    const d = new OutboxDispatcher({ db, clock, channels: allKinds(channel) });
    await drive(d, clock.now() + 45 * SECOND, esc);
    const call = await rowOf(db, started!.outboxId);
    expect(call.status).toBe('sent');
    expect(call.attempts).toBeGreaterThan(3);
    // The ack timeout (20 s) passed during the outage, but nobody had been rung: still step 0.
    expect((await esc.get(started!.escalationId))!.step).toBe(0);
  });

  it('15 minutes down: the emergency SMS is given up only then, with an alarm on the emergency, the metric and an error log; the alert call moves to the next contact', async () => {
    downUntil = Number.POSITIVE_INFINITY;
    const emergency = await new EmergenciesRepo(db).create({
      businessId: asBusinessId(businessId),
      category: 'flooding',
      trigger: 'my basement is flooding',
      summary: 'Basement flooding',
      transcript: [],
    });
    const errors: string[] = [];
    const alarmsByKind: string[] = [];
    const logger = {
      info() {},
      warn() {},
      debug() {},
      error: (_o: object, msg?: string) => errors.push(msg ?? ''),
    };
    const esc = new AlertEscalations({ db, clock, logger });
    const alarms = new DeliveryAlarms({
      db,
      clock,
      logger,
      escalations: esc,
      onAlarm: (k) => alarmsByKind.push(k),
    });
    const [sms] = await enqueue(db, [emergencySms({ causeId: emergency.id })], { now: clock.date() });
    const started = await db.transaction((tx) =>
      esc.start(tx, {
        businessId,
        cause: 'emergency',
        causeId: emergency.id,
        message: 'Emergency alert for Acme.',
        contacts: [OWNER, DEPUTY],
        callsPerContact: 1,
        ackTimeoutMs: 2 * MINUTE,
      }),
    );
    const d = new OutboxDispatcher({
      db,
      clock,
      logger,
      channels: allKinds(channel),
      onGivenUp: (row, why) => alarms.givenUp(row, why),
    });
    const t0 = clock.now();

    await drive(d, t0 + 14 * MINUTE, esc);
    expect((await rowOf(db, sms!.id)).status).toBe('failed');
    expect((await rowOf(db, started!.outboxId)).status).toBe('failed');
    expect((await esc.get(started!.escalationId))!.step).toBe(0);
    expect(alarmsByKind).toEqual([]);
    const [quiet] = await db.select().from(emergencies).where(eq(emergencies.id, emergency.id));
    expect(quiet!.alarm).toBeNull();

    await drive(d, t0 + 15 * MINUTE + 10 * SECOND, esc);
    const smsRow = await rowOf(db, sms!.id);
    expect(smsRow.status).toBe('dead');
    expect(smsRow.attempts).toBeGreaterThan(100);
    expect((await rowOf(db, started!.outboxId)).status).toBe('dead');
    expect(alarmsByKind.sort()).toEqual(['sms', 'voice-call']);
    expect(errors).toContain('ALARM: an emergency notification could not be delivered');
    const [alarmed] = await db.select().from(emergencies).where(eq(emergencies.id, emergency.id));
    expect(alarmed!.alarm).toMatch(/not delivered after \d+ attempts/);
    expect(alarmed!.alarmAt!.getTime()).toBeGreaterThanOrEqual(t0 + 15 * MINUTE);
    // The next contact's call was written the moment the first one was given up.
    const e = (await esc.get(started!.escalationId))!;
    expect(e.step).toBe(1);
    const [next] = await db.select().from(outbox).where(eq(outbox.id, e.currentOutboxId!));
    expect(next).toMatchObject({ recipient: DEPUTY, kind: 'voice-call' });
  });

  it('ordinary notifications keep their policy: 5 s then 15 s backoff, dead after max attempts, no alarm', async () => {
    downUntil = Number.POSITIVE_INFINITY;
    let alarms = 0;
    const [row] = await enqueue(
      db,
      [emergencySms({ cause: 'lead', priority: PRIORITY.normal, maxAttempts: 3, body: 'New lead' })],
      { now: clock.date() },
    );
    const quietAlarms = new DeliveryAlarms({ db, clock, onAlarm: () => alarms++ });
    const d = new OutboxDispatcher({
      db,
      clock,
      channels: allKinds(channel),
      random: () => 0.5,
      onGivenUp: (r, why) => quietAlarms.givenUp(r, why),
    });
    await d.runOnce();
    clock.advance(5 * SECOND);
    await d.runOnce();
    clock.advance(15 * SECOND);
    await d.runOnce();
    expect(attemptTimes.map((t) => t - attemptTimes[0]!)).toEqual([0, 5 * SECOND, 20 * SECOND]);
    expect((await rowOf(db, row!.id)).status).toBe('dead');
    expect(alarms).toBe(0);
  });
});
