import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueue, OutboxDispatcher, type NewNotification } from '../../src/notify/index.js';
import type { Database, Db } from '../../src/store/index.js';
import { outbox } from '../../src/store/schema/outbox.js';
import { createTestTarget, drivers, type TestTarget } from '../store/drivers.js';
import {
  allKinds,
  attemptsOf,
  createBusiness,
  FakeWallClock,
  rowOf,
  ScriptedChannel,
} from './support/notify-fixtures.js';

const sms = (businessId: string, extra: Partial<NewNotification> = {}): NewNotification => ({
  businessId,
  kind: 'sms',
  recipient: '+15005550006',
  body: 'New lead',
  cause: 'test',
  ...extra,
});

/** What a 'notify' job needs of the dispatcher: the due rows to announce, and one row's claim-and-send. */
describe.each(drivers)('outbox dispatcher, row by row, on $name', (driver) => {
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

  it('wake() tells the onWake hook, so the app can announce the new rows', () => {
    let woken = 0;
    const d = new OutboxDispatcher({ db, channels: allKinds(new ScriptedChannel()), onWake: () => woken++ });
    d.wake();
    d.wake();
    expect(woken).toBe(2);
  });

  it('dueRows lists the open rows due now, most urgent first, and not those waiting for later', async () => {
    await db.delete(outbox);
    const clock = new FakeWallClock();
    const [lead] = await enqueue(db, [sms(businessId)], { now: clock.date() });
    const [urgent] = await enqueue(db, [sms(businessId, { body: 'Emergency', priority: 100 })], {
      now: clock.date(),
    });
    const [later] = await enqueue(db, [sms(businessId, { body: 'later' })], {
      now: new Date(clock.now() + 60_000),
    });
    const d = new OutboxDispatcher({ db, channels: allKinds(new ScriptedChannel()), clock });
    const due = await d.dueRows();
    expect(due).toEqual([
      { id: urgent!.id, attempts: 0 },
      { id: lead!.id, attempts: 0 },
    ]);
    expect(due.map((r) => r.id)).not.toContain(later!.id);
  });

  it('deliverRow claims and sends that one row only, once: a second claim (any node) finds it taken', async () => {
    await db.delete(outbox);
    const clock = new FakeWallClock();
    const channel = new ScriptedChannel();
    const [one, other] = await enqueue(
      db,
      [sms(businessId, { body: 'one' }), sms(businessId, { body: 'other' })],
      {
        now: clock.date(),
      },
    );
    const a = new OutboxDispatcher({ db, channels: allKinds(channel), clock, nodeId: 'node-a' });
    const b = new OutboxDispatcher({ db, channels: allKinds(channel), clock, nodeId: 'node-b' });
    const signal = new AbortController().signal;
    expect(await b.deliverRow(one!.id, signal)).toBe(true);
    expect(await a.deliverRow(one!.id, signal)).toBe(false);
    expect(channel.sent.map((n) => n.body)).toEqual(['one']);
    expect(await rowOf(db, one!.id)).toMatchObject({ status: 'sent', attempts: 1, claimedBy: 'node-b' });
    expect(await attemptsOf(db, one!.id)).toMatchObject([{ outcome: 'sent', node: 'node-b' }]);
    expect(await rowOf(db, other!.id)).toMatchObject({ status: 'pending', attempts: 0 });
  });

  it('deliverRow leaves a row that is not due yet (a retry waiting out its backoff) to its time', async () => {
    await db.delete(outbox);
    const clock = new FakeWallClock();
    const channel = new ScriptedChannel();
    const [later] = await enqueue(db, [sms(businessId)], { now: new Date(clock.now() + 60_000) });
    const d = new OutboxDispatcher({ db, channels: allKinds(channel), clock });
    expect(await d.deliverRow(later!.id, new AbortController().signal)).toBe(false);
    expect(channel.sent).toHaveLength(0);
  });
});
