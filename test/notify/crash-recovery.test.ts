import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AlertEscalations,
  enqueue,
  OutboxDispatcher,
  PRIORITY,
  type NewNotification,
  type NotificationChannel,
} from '../../src/notify/index.js';
import { TwilioSmsChannel, TwilioVoiceChannel } from '../../src/telephony/twilio/index.js';
import type { Database, Db } from '../../src/store/index.js';
import { outbox } from '../../src/store/schema/outbox.js';
import { TwilioRestClient } from '../../src/telephony/twilio/rest.js';
import { createTestTarget, drivers, type TestTarget } from '../store/drivers.js';
import { FakeTwilioApi } from './support/fake-twilio-api.js';
import {
  allKinds,
  attemptsOf,
  createBusiness,
  FakeWallClock,
  rowOf,
  ScriptedChannel,
  waitFor,
} from './support/notify-fixtures.js';

/**
 * A node killed mid-send, and a send whose answer never came: the notification is attempted again
 * at once by the restarted node (or within the short lease by another), and the provider is asked
 * before anything is sent a second time.
 */

const OWNER = '+15005550101';
const FROM = '+15005550001';

const emergencySms = (businessId: string, extra: Partial<NewNotification> = {}): NewNotification => ({
  businessId,
  kind: 'sms',
  recipient: OWNER,
  body: 'EMERGENCY (flooding) at Acme Plumbing',
  cause: 'emergency',
  priority: PRIORITY.emergency,
  ...extra,
});

/** Lets pending database work and fetches run (real time; the fake clock stands still). */
const settle = (ms = 30) => new Promise((r) => setTimeout(r, ms));

describe.each(drivers)('outbox after a crash on $name', (driver) => {
  if (driver.skipReason) {
    it.skip(`skipped: ${driver.skipReason}`, () => {});
    return;
  }
  let target: TestTarget;
  let database: Database;
  let db: Db;
  let businessId: string;
  let api: FakeTwilioApi;
  let client: TwilioRestClient;
  let clock: FakeWallClock;
  const runs: AbortController[] = [];

  beforeAll(async () => {
    target = await createTestTarget(driver.name);
    database = await target.open();
    db = database.db;
    businessId = await createBusiness(db);
    api = await new FakeTwilioApi().start();
    // A long client timeout: a "crashed" node's request just hangs for the rest of the test.
    client = new TwilioRestClient({
      accountSid: api.accountSid,
      authToken: api.authToken,
      baseUrl: api.baseUrl,
      timeoutMs: 60_000,
    });
  });
  afterAll(async () => {
    for (const r of runs) r.abort();
    await api?.stop();
    await database?.close();
    await target?.cleanup();
  });
  beforeEach(async () => {
    for (const r of runs.splice(0)) r.abort();
    await db.delete(outbox);
    clock = new FakeWallClock();
    api.now = () => clock.now();
    api.requests.length = 0;
    api.faults.length = 0;
    api.messages.length = 0;
    api.calls.length = 0;
    api.outage = undefined;
    api.delayMs = 0;
  });

  const channels = (): Record<'sms' | 'voice-call', NotificationChannel> => ({
    sms: new TwilioSmsChannel({ client, from: FROM }),
    'voice-call': new TwilioVoiceChannel({ client, from: FROM, publicUrl: 'https://sb.example.com' }),
  });
  const dispatcher = (
    nodeId: string,
    extra: Partial<ConstructorParameters<typeof OutboxDispatcher>[0]> = {},
  ) => {
    const ch = channels();
    const local = new ScriptedChannel();
    return new OutboxDispatcher({
      db,
      clock,
      nodeId,
      channels: { ...allKinds(local), ...ch },
      // Real-time send timeouts: long, so only what the test does ends a send.
      emergencySendTimeoutMs: 60_000,
      sendTimeoutMs: 60_000,
      ...extra,
    });
  };
  const start = (d: OutboxDispatcher) => {
    const ac = new AbortController();
    runs.push(ac);
    void d.run(ac.signal);
    return ac;
  };
  const posts = () => api.requests.filter((r) => r.method === 'POST');
  const lists = () => api.requests.filter((r) => r.method === 'GET');

  it('a restarted node takes back its own in-flight SMS at once and finds it at Twilio instead of sending it again', async () => {
    const [row] = await enqueue(db, [emergencySms(businessId)], { now: clock.date() });
    // Twilio takes the message, then the node dies before the answer arrives.
    api.faults.push({ hang: true, accept: true });
    const dead = dispatcher('node-1');
    void dead.runOnce();
    await waitFor(() => posts().length === 1);
    expect(api.messages).toHaveLength(1);
    expect(await rowOf(db, row!.id)).toMatchObject({ status: 'sending', claimedBy: 'node-1' });

    // The same node starts again (same id, nothing in flight); the clock has not moved at all.
    const restarted = dispatcher('node-1');
    start(restarted);
    await waitFor(async () => (await rowOf(db, row!.id)).status === 'sent');
    const done = await rowOf(db, row!.id);
    expect(done.providerId).toBe(api.messages[0]!.sid);
    expect(done.unconfirmedSince).toBeNull();
    expect(posts()).toHaveLength(1);
    expect(api.messages).toHaveLength(1);
    expect(lists().length).toBeGreaterThanOrEqual(1);
    const list = new URL(lists()[0]!.path, 'http://x').searchParams;
    expect(list.get('To')).toBe(OWNER);
    expect(list.get('From')).toBe(FROM);
    const history = await attemptsOf(db, row!.id);
    expect(history.map((h) => [h.attempt, h.outcome])).toEqual([
      [1, 'abandoned'],
      [2, 'sent'],
    ]);
  });

  it("another node takes over a dead node's row within the 15 s lease, while a live node's slow send keeps it", async () => {
    const [row] = await enqueue(db, [emergencySms(businessId)], { now: clock.date() });
    api.faults.push({ hang: true, accept: true });
    const slow = dispatcher('node-slow');
    start(slow);
    await waitFor(() => posts().length === 1);
    const other = dispatcher('node-other');
    // The live node renews its lease while its send hangs: a minute later the row is still its own.
    for (let t = 0; t < 60_000; t += 2_500) {
      clock.advance(2_500);
      await settle();
    }
    expect(await other.runOnce()).toBe(0);
    expect(await rowOf(db, row!.id)).toMatchObject({ status: 'sending', claimedBy: 'node-slow' });

    // Now it dies (its run stops renewing, its request still hangs): 15 s later the other node has it.
    runs.pop()!.abort();
    await settle(100);
    clock.advance(15_000);
    expect(await other.runOnce()).toBe(1);
    const done = await rowOf(db, row!.id);
    expect(done).toMatchObject({ status: 'sent', claimedBy: 'node-other' });
    expect(api.messages).toHaveLength(1);
    expect(posts()).toHaveLength(1);
  });

  it('an SMS that timed out is looked up at Twilio, not sent again; one refused with an answer is sent again without a lookup', async () => {
    const [row] = await enqueue(db, [emergencySms(businessId)], { now: clock.date() });
    api.faults.push({ hang: true, accept: true });
    // 1 s, not less: a loaded machine must still get the request to the fake Twilio before the
    // timeout, or the hang meant for it is left queued for the next request.
    const d = dispatcher('node-1', { emergencySendTimeoutMs: 1000 });
    await d.runOnce();
    let r = await rowOf(db, row!.id);
    expect(r.status).toBe('failed');
    expect(r.unconfirmedSince).not.toBeNull();
    clock.advance(10_000);
    await d.runOnce();
    r = await rowOf(db, row!.id);
    expect(r).toMatchObject({ status: 'sent', providerId: api.messages[0]!.sid });
    expect(posts()).toHaveLength(1);
    expect(lists()).toHaveLength(1);

    api.requests.length = 0;
    const [second] = await enqueue(db, [emergencySms(businessId, { body: 'second alert' })], {
      now: clock.date(),
    });
    api.faults.push({ status: 500, code: 20500, message: 'Internal Server Error' });
    await d.runOnce();
    expect((await rowOf(db, second!.id)).unconfirmedSince).toBeNull();
    clock.advance(10_000);
    await d.runOnce();
    expect(await rowOf(db, second!.id)).toMatchObject({ status: 'sent' });
    expect(lists()).toHaveLength(0);
    expect(posts()).toHaveLength(2);
  });

  it('an alert call placed after the escalation was acknowledged meanwhile is cancelled at Twilio (Status=canceled)', async () => {
    const esc = new AlertEscalations({ db, clock });
    const started = (await db.transaction((tx) =>
      esc.start(tx, {
        businessId,
        cause: 'emergency',
        message: 'Emergency alert for Acme.',
        contacts: [OWNER, '+15005550102'],
        callsPerContact: 1,
      }),
    ))!;
    const d = dispatcher('node-1');
    await d.runOnce();
    // The owner does not answer; the deputy's call is on its way when the owner presses 1 after all.
    await esc.callEnded({
      escalationId: started.escalationId,
      step: 0,
      callSid: 'CA-0',
      status: 'no-answer',
    });
    api.delayMs = 300;
    const sending = d.runOnce();
    await waitFor(() => posts().length === 2);
    expect(await esc.acknowledge({ escalationId: started.escalationId, step: 0, callSid: 'CA-0' })).toBe(
      'acknowledged',
    );
    await sending;
    api.delayMs = 0;
    await waitFor(() => posts().length === 3);
    const recall = posts()[2]!;
    expect(recall.path).toBe(`/2010-04-01/Accounts/${api.accountSid}/Calls/${api.calls[1]!.sid}.json`);
    expect(recall.form).toEqual([['Status', 'canceled']]);
  });

  it('a lookup Twilio refuses for good (no permission to list) does not hold the alert: it is sent; one that fails for now is retried', async () => {
    const [row] = await enqueue(db, [emergencySms(businessId)], { now: clock.date() });
    api.faults.push({ hang: true });
    const d = dispatcher('node-1', { emergencySendTimeoutMs: 1000 });
    await d.runOnce();
    api.faults.push({ status: 503, code: 20503, message: 'Service Unavailable' });
    clock.advance(10_000);
    await d.runOnce();
    expect(await rowOf(db, row!.id)).toMatchObject({ status: 'failed' });
    expect(posts()).toHaveLength(1);
    api.faults.push({ status: 403, code: 20403, message: 'Forbidden' });
    clock.advance(10_000);
    await d.runOnce();
    expect(await rowOf(db, row!.id)).toMatchObject({ status: 'sent', providerId: api.messages[0]!.sid });
    expect(posts()).toHaveLength(2);
    expect(api.messages).toHaveLength(1);
  });

  it('an alert call that timed out is found in the Calls list; a call another row owns is not taken for it', async () => {
    const escalationId = '7b0c9f7e-3a51-4d43-9b1e-0d7f0c1a2b3c';
    const call = (step: number): NewNotification => ({
      businessId,
      kind: 'voice-call',
      recipient: OWNER,
      body: 'Emergency alert for Acme.',
      payload: { escalationId, step },
      cause: 'emergency',
      priority: PRIORITY.emergency,
    });
    const d = dispatcher('node-1', { emergencySendTimeoutMs: 1000 });
    const [first] = await enqueue(db, [call(0)], { now: clock.date() });
    await d.runOnce();
    expect(await rowOf(db, first!.id)).toMatchObject({ status: 'sent' });

    // The next call to the same person times out before Twilio took it.
    clock.advance(1_000);
    const [second] = await enqueue(db, [call(1)], { now: clock.date() });
    api.faults.push({ hang: true });
    await d.runOnce();
    expect((await rowOf(db, second!.id)).status).toBe('failed');
    clock.advance(10_000);
    await d.runOnce();
    // The only call in the list is the first row's: the second is placed, once.
    const placed = await rowOf(db, second!.id);
    expect(placed.status).toBe('sent');
    expect(api.calls).toHaveLength(2);
    expect(placed.providerId).toBe(api.calls[1]!.sid);
    expect(lists()).toHaveLength(1);

    // Timed out after Twilio took it: found, not placed again.
    clock.advance(1_000);
    const [third] = await enqueue(db, [call(2)], { now: clock.date() });
    api.faults.push({ hang: true, accept: true });
    await d.runOnce();
    clock.advance(10_000);
    await d.runOnce();
    expect(await rowOf(db, third!.id)).toMatchObject({ status: 'sent', providerId: api.calls[2]!.sid });
    expect(api.calls).toHaveLength(3);
    // It waits on real hangs and timeouts. Under the whole suite's load it ran past 30 s when a
    // send's timeout could be garbage-collected (fixed by src/shared/deadline.ts); some room stays.
  }, 120_000);
});
