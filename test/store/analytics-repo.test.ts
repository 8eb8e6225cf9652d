import { beforeAll, describe, expect, it } from 'vitest';
import { asCallSid, type BusinessId } from '../../src/ids.js';
import { AnalyticsRepo } from '../../src/store/analytics-repo.js';
import { BusinessesRepo, CallsRepo } from '../../src/store/index.js';
import { emergencies, leads } from '../../src/store/schema/index.js';
import { drivers, useDatabase } from './drivers.js';

/**
 * One business in Los Angeles (UTC-7 after 8 March 2026), asked on 10 March at 05:00 local for
 * three days: 8, 9 and 10 March. A call at 06:30 UTC on the 10th is still the 9th there.
 */
const NOW = new Date('2026-03-10T12:00:00.000Z');
const TZ = 'America/Los_Angeles';
const at = (iso: string) => new Date(iso);

describe.each(drivers)('analytics figures on $name', (driver) => {
  if (driver.skipReason) {
    it.skip(`skipped: ${driver.skipReason}`, () => {});
    return;
  }
  const store = useDatabase(driver);
  let biz: BusinessId;
  let other: BusinessId;
  const figures = (days = 3, businessId = biz) =>
    new AnalyticsRepo(store.database.db).figures({ businessId, timezone: TZ, days, now: NOW });

  beforeAll(async () => {
    const db = store.database.db;
    const businesses = new BusinessesRepo(db);
    biz = (await businesses.create({ name: 'LA Plumbing', greeting: 'Hi', timezone: TZ })).id;
    other = (await businesses.create({ name: 'Other', greeting: 'Hello' })).id;
    const calls = new CallsRepo(db);

    /** A call; answered and ended with a duration when given. */
    const call = async (
      sid: string,
      startedAt: string,
      o: { businessId?: BusinessId; answeredSec?: number; missed?: boolean } = {},
    ) => {
      const callSid = asCallSid(sid);
      const start = at(startedAt);
      await calls.create({ callSid, businessId: o.businessId ?? biz, startedAt: start });
      if (o.answeredSec !== undefined) {
        await calls.recordStatus({
          callSid,
          status: 'in-progress',
          source: 'status-callback',
          sequenceNumber: 1,
          occurredAt: new Date(start.getTime() + 5000),
        });
        await calls.recordStatus({
          callSid,
          status: 'completed',
          source: 'status-callback',
          sequenceNumber: 2,
          durationSec: o.answeredSec,
          occurredAt: new Date(start.getTime() + 5000 + o.answeredSec * 1000),
        });
      }
      if (o.missed)
        await calls.recordStatus({
          callSid,
          status: 'no-answer',
          source: 'status-callback',
          occurredAt: start,
        });
      return callSid;
    };
    const agentTurn = (sid: ReturnType<typeof asCallSid>, firstFrameSentMs: number) =>
      calls.appendTurn(sid, {
        speaker: 'agent',
        text: 'Sure.',
        latency: { endOfSpeechMs: 0, firstFrameSentMs },
      });

    // 9 March local (23:30): answered for 60 s; a lead and an emergency; two agent turns.
    const c1 = await call('CA-an-1', '2026-03-10T06:30:00.000Z', { answeredSec: 60 });
    await agentTurn(c1, 400);
    await agentTurn(c1, 600);
    await calls.appendTurn(c1, { speaker: 'caller', text: 'help', latency: null });
    await calls.appendEvent(c1, 'lead', { complete: true });
    await calls.appendEvent(c1, 'lead', { complete: true }); // one call, counted once
    await calls.appendEvent(c1, 'emergency', { category: 'flooding' });
    // 10 March local (01:00): answered for 120 s; a booking.
    const c2 = await call('CA-an-2', '2026-03-10T08:00:00.000Z', { answeredSec: 120 });
    await agentTurn(c2, 800);
    await calls.appendEvent(c2, 'booking', { action: 'booked' });
    // 9 March local: never answered.
    await call('CA-an-3', '2026-03-09T20:00:00.000Z', { missed: true });
    // 10 March local: still ringing (in the total only).
    await call('CA-an-4', '2026-03-10T11:00:00.000Z');
    // 7 March local: before the range, with a slow turn and a lead that must not count.
    const old = await call('CA-an-5', '2026-03-07T20:00:00.000Z', { answeredSec: 600 });
    await agentTurn(old, 5000);
    await calls.appendEvent(old, 'lead', { complete: true });
    // Another business's call in the range.
    await call('CA-an-6', '2026-03-10T07:00:00.000Z', { businessId: other, answeredSec: 30 });

    await db.insert(leads).values([
      { businessId: biz, complete: true, status: 'won', createdAt: at('2026-03-10T06:31:00.000Z') },
      { businessId: biz, complete: false, createdAt: at('2026-03-09T12:00:00.000Z') },
      { businessId: biz, complete: true, createdAt: at('2026-03-01T12:00:00.000Z') },
      { businessId: other, complete: true, createdAt: at('2026-03-10T07:00:00.000Z') },
    ]);
    const emergency = { category: 'flooding', trigger: 'flooding', summary: 'Basement flooding' };
    await db.insert(emergencies).values([
      {
        ...emergency,
        businessId: biz,
        createdAt: at('2026-03-10T06:31:00.000Z'), // 9 March local
        acknowledgedAt: at('2026-03-10T06:35:00.000Z'),
      },
      { ...emergency, businessId: biz, createdAt: at('2026-03-10T09:00:00.000Z') }, // 10 March local
      { ...emergency, businessId: biz, createdAt: at('2026-03-08T06:59:59.000Z') }, // 7 March local, 23:59
      { ...emergency, businessId: other, createdAt: at('2026-03-10T09:00:00.000Z') },
    ]);
  });

  it('names the range in local days, today included', async () => {
    const f = await figures();
    expect([f.from, f.to]).toEqual(['2026-03-08', '2026-03-10']);
    expect((await figures(1)).from).toBe('2026-03-10');
  });

  it('counts calls per local day, every day listed, answered and missed apart', async () => {
    expect((await figures()).callsPerDay).toEqual([
      { date: '2026-03-08', total: 0, answered: 0, missed: 0 },
      { date: '2026-03-09', total: 2, answered: 1, missed: 1 },
      { date: '2026-03-10', total: 2, answered: 1, missed: 0 },
    ]);
  });

  it('gives answered calls’ durations: count, mean, median and 90th percentile', async () => {
    expect((await figures()).durations).toEqual({ count: 2, avgSec: 90, p50Sec: 90, p90Sec: 114 });
  });

  it('counts leads in the range and their conversion per answered call', async () => {
    expect((await figures()).leads).toEqual({ total: 2, complete: 1, won: 1, conversion: 0.5 });
  });

  it('counts emergencies per local day and how many were acknowledged', async () => {
    expect((await figures()).emergencies).toEqual({
      total: 2,
      acknowledged: 1,
      perDay: [
        { date: '2026-03-08', count: 0 },
        { date: '2026-03-09', count: 1 },
        { date: '2026-03-10', count: 1 },
      ],
    });
  });

  it('counts the calls that led to each outcome (intents), every intent listed', async () => {
    expect((await figures()).intents).toEqual([
      { intent: 'emergency', count: 1 },
      { intent: 'lead', count: 1 },
      { intent: 'booking', count: 1 },
      { intent: 'question', count: 0 },
      { intent: 'transfer', count: 0 },
    ]);
  });

  it('gives voice-to-voice latency percentiles over the agent turns', async () => {
    expect((await figures()).latency).toEqual({ turns: 3, p50Ms: 600, p95Ms: 780, p99Ms: 796 });
  });

  it('takes in older days when asked for more of them', async () => {
    const f = await figures(5);
    expect(f.from).toBe('2026-03-06');
    expect(f.callsPerDay.find((d) => d.date === '2026-03-07')).toEqual({
      date: '2026-03-07',
      total: 1,
      answered: 1,
      missed: 0,
    });
    expect(f.latency.turns).toBe(4);
    expect(f.emergencies.total).toBe(3);
  });

  it('answers zeros, not nulls, for a business with nothing yet', async () => {
    const empty = (await new BusinessesRepo(store.database.db).create({ name: 'New', greeting: 'Hi' })).id;
    const f = await figures(2, empty);
    expect(f.callsPerDay).toHaveLength(2);
    expect(f.durations).toEqual({ count: 0, avgSec: 0, p50Sec: 0, p90Sec: 0 });
    expect(f.leads.conversion).toBe(0);
    expect(f.latency).toEqual({ turns: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0 });
  });
});
