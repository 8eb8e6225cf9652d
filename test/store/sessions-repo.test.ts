import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { asCallSid, type BusinessId, type CallSid } from '../../src/ids.js';
import { BusinessesRepo, CallsRepo, SessionsRepo, type CallChannel } from '../../src/store/index.js';
import { drivers, useDatabase } from './drivers.js';

const newSid = (): CallSid => asCallSid(`CA${randomBytes(16).toString('hex')}`);
const t0 = new Date('2026-12-07T12:00:00.000Z');
const at = (s: number) => new Date(t0.getTime() + s * 1000);

describe.each(drivers)('live sessions on $name', (driver) => {
  if (driver.skipReason) {
    it.skip(`skipped: ${driver.skipReason}`, () => {});
    return;
  }
  const store = useDatabase(driver);
  let a: BusinessId;
  let b: BusinessId;
  const calls = () => new CallsRepo(store.database.db);
  const sessions = () => new SessionsRepo(store.database.db);
  const start = async (businessId: BusinessId, channel: CallChannel, startedAt: Date) => {
    const callSid = newSid();
    await calls().create({
      callSid,
      businessId,
      channel,
      status: 'ringing',
      startedAt,
      from: '+14155550100',
    });
    return callSid;
  };

  beforeAll(async () => {
    const businesses = new BusinessesRepo(store.database.db);
    a = (await businesses.create({ name: 'A', greeting: 'Hi' })).id;
    b = (await businesses.create({ name: 'B', greeting: 'Hi' })).id;
  });

  it('lists the calls not yet over, oldest first, of one business or of all', async () => {
    const phone = await start(a, 'phone', at(0));
    const web = await start(a, 'web', at(2));
    const whatsapp = await start(a, 'whatsapp', at(1));
    const theirs = await start(b, 'chat', at(3));

    const completed = await start(a, 'phone', at(4));
    await calls().recordStatus({
      callSid: completed,
      status: 'completed',
      source: 'status-callback',
      occurredAt: at(5),
    });
    // Ended by us (our end reason), though no final status came from Twilio.
    const closed = await start(a, 'phone', at(6));
    await calls().setEndReason(closed, 'shutdown');

    expect((await sessions().list(a)).map((s) => s.callSid)).toEqual([phone, whatsapp, web]);
    expect((await sessions().list()).map((s) => s.callSid)).toEqual([phone, whatsapp, web, theirs]);
    expect((await sessions().list(b))[0]).toEqual({
      callSid: theirs,
      businessId: b,
      channel: 'chat',
      direction: 'inbound',
      status: 'ringing',
      answeredBy: 'ai',
      startedAt: at(3),
      from: '+14155550100',
      to: null,
    });
  });

  it('finds one live session, not an ended one nor (when scoped) another business’s', async () => {
    const live = await start(a, 'phone', at(10));
    expect(await sessions().find(live)).toMatchObject({ callSid: live, status: 'ringing' });
    expect(await sessions().find(live, a)).toMatchObject({ callSid: live });
    expect(await sessions().find(live, b)).toBeUndefined();
    expect(await sessions().find(newSid())).toBeUndefined();

    await calls().recordStatus({
      callSid: live,
      status: 'in-progress',
      source: 'status-callback',
      occurredAt: at(11),
    });
    expect(await sessions().find(live)).toMatchObject({ status: 'in-progress' });
    await calls().recordStatus({
      callSid: live,
      status: 'no-answer',
      source: 'status-callback',
      occurredAt: at(12),
    });
    expect(await sessions().find(live)).toBeUndefined();
  });
});
