import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  endedCallsWithoutSummary,
  loadCallFacts,
  onCallEnded,
  PostCallSummaries,
} from '../../../src/assist/summary/index.js';
import type { BusinessId, CallId, CallSid, E164 } from '../../../src/ids.js';
import { asCallSid } from '../../../src/ids.js';
import type { Logger } from '../../../src/shared/index.js';
import {
  BookingsRepo,
  BusinessesRepo,
  CallsRepo,
  LeadsRepo,
  QuestionsRepo,
  type CallDetail,
} from '../../../src/store/index.js';
import { InProcessQueue } from '../../../src/jobs/index.js';
import { FakeClock } from '../../support/fake-clock.js';
import { drivers, useDatabase } from '../../store/drivers.js';

const newSid = (): CallSid => asCallSid(`CA${randomBytes(16).toString('hex')}`);
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Runs the job to the end: its database work runs on real I/O, its waits on the fake clock, which
 * moves on by `stepMs` whenever the job is not done yet (so no wait is ever missed, however slow
 * the database).
 */
async function settle(jobs: PostCallSummaries, clock: FakeClock, stepMs: number): Promise<void> {
  for (let i = 0; jobs.pending > 0 && i < 10_000; i++) {
    await new Promise((r) => setTimeout(r, 2));
    clock.advance(stepMs);
  }
  expect(jobs.pending).toBe(0);
}

describe.each(drivers)('post-call summaries on $name', (driver) => {
  if (driver.skipReason) {
    it.skip(`skipped: ${driver.skipReason}`, () => {});
    return;
  }
  const store = useDatabase(driver);
  const calls = () => new CallsRepo(store.database.db);
  let businessId: BusinessId;

  beforeAll(async () => {
    businessId = (
      await new BusinessesRepo(store.database.db).create({
        name: 'Acme Plumbing',
        greeting: 'Hi',
        timezone: 'America/Chicago',
        phoneNumbers: [`+1500555${String(Math.floor(Math.random() * 9000) + 1000)}`],
        settings: {
          profile: { services: [{ id: 'drain', name: 'Drain cleaning', durationMinutes: 60 }] },
        },
      })
    ).id;
  });

  /** An ended AI call with a lead, a booking and a question, and the session's figures already stored. */
  let weeks = 0;
  async function aiCallWithRecords(): Promise<CallSid> {
    const sid = newSid();
    // Each call's booking a week after the last one's (Tuesdays, 9 or 10 am in Chicago by DST): slots never clash.
    const startsAt = new Date(Date.UTC(2030, 2, 5 + 7 * weeks++, 15));
    const { call } = await calls().createInbound({
      callSid: sid,
      businessId,
      from: '+14155550100' as E164,
      to: '+15005550006' as E164,
    });
    await calls().appendTurn(sid, {
      speaker: 'caller',
      text: 'my kitchen sink is blocked, can you come out',
    });
    await calls().appendTurn(sid, { speaker: 'agent', text: 'I have Tuesday at 9 am.' });
    await calls().appendEvent(sid, 'booking', { action: 'booked', bookingId: 'b' });
    await new LeadsRepo(store.database.db).save({
      businessId,
      callId: call.id as CallId,
      callSid: sid,
      fields: { name: 'Maria Lopez', phone: '+14155550100', need: 'blocked kitchen sink' },
      complete: true,
      transcript: [],
    });
    const booked = await new BookingsRepo(store.database.db).book({
      businessId,
      serviceId: 'drain',
      startsAt,
      endsAt: new Date(startsAt.getTime() + 3_600_000),
      customerName: 'Maria Lopez',
      callId: call.id as CallId,
      callSid: sid,
    });
    expect(booked.ok).toBe(true);
    await new QuestionsRepo(store.database.db).create({
      businessId,
      question: 'Do you take cards?',
      transcript: [],
      callSid: sid,
    });
    await calls().setSummary(sid, { turns: 2, endReason: 'stop' });
    await calls().recordStatus({
      callSid: sid,
      status: 'completed',
      source: 'status-callback',
      occurredAt: new Date(),
    });
    return sid;
  }

  it('loadCallFacts reads the lead, bookings (by service name, in the business zone) and questions of the call', async () => {
    const sid = await aiCallWithRecords();
    const facts = await loadCallFacts(store.database.db, sid);
    expect(facts.timezone).toBe('America/Chicago');
    expect(facts.lead).toMatchObject({
      name: 'Maria Lopez',
      phone: '+14155550100',
      need: 'blocked kitchen sink',
    });
    expect(facts.bookings).toEqual([
      {
        service: 'Drain cleaning',
        startsAt: new Date('2030-03-05T15:00:00Z'), // the first call's
        status: 'booked',
        customerName: 'Maria Lopez',
      },
    ]);
    expect(facts.questions).toEqual(['Do you take cards?']);
    expect(facts.emergencies).toEqual([]);
    expect(await loadCallFacts(store.database.db, newSid())).toEqual({
      bookings: [],
      emergencies: [],
      questions: [],
    });
  });

  it('the job writes text and action items merged into the stored summary (the session figures kept)', async () => {
    const sid = await aiCallWithRecords();
    const clock = new FakeClock();
    const db = store.database.db;
    const jobs = new PostCallSummaries({
      calls: calls(),
      facts: (d: CallDetail) => loadCallFacts(db, d.callSid),
      log: quiet,
      clock,
      settleMs: 1000,
    });
    onCallEnded(jobs)({ type: 'call-ended', callSid: sid });
    onCallEnded(jobs)({ type: 'transcript-final', callSid: newSid() });
    expect(jobs.pending).toBe(1);
    await settle(jobs, clock, 1000);
    const stored = (await calls().get(sid))!.summary!;
    expect(stored.turns).toBe(2);
    expect(stored.endReason).toBe('stop');
    expect(stored.text).toContain('Maria Lopez called about blocked kitchen sink.');
    expect(stored.text).toMatch(/Drain cleaning was booked for Tue (Mar|Apr) \d+, (9|10) am\./);
    expect(stored.actionItems).toEqual([
      expect.stringMatching(
        /^Confirm booking Tue (Mar|Apr) \d+, (9|10) am \(Drain cleaning\) with Maria Lopez$/,
      ),
      "Answer Maria Lopez's question: Do you take cards?",
    ]);
    await jobs.close();
  });

  it('a failed write is retried, and a call queued twice while waiting is summarised once', async () => {
    const sid = await aiCallWithRecords();
    const clock = new FakeClock();
    const real = calls();
    let failures = 2;
    let writes = 0;
    const jobs = new PostCallSummaries({
      calls: {
        get: (s) => real.get(s),
        setSummary: async (s, part) => {
          writes++;
          if (failures-- > 0) throw new Error('connection reset');
          return real.setSummary(s, part);
        },
      },
      log: quiet,
      clock,
      settleMs: 0,
      retryDelaysMs: [100, 100, 100],
    });
    jobs.enqueue(sid);
    jobs.enqueue(sid);
    await settle(jobs, clock, 100);
    expect(writes).toBe(3);
    expect((await real.get(sid))!.summary!.text).toMatch(/called/);
    await jobs.close();
  });

  it('catchUp queues the recently ended calls without a written summary, and only those', async () => {
    const without = await aiCallWithRecords();
    const withText = await aiCallWithRecords();
    await calls().setSummary(withText, { text: 'done already', actionItems: [] });
    const live = newSid();
    await calls().createInbound({ callSid: live, businessId });
    const found = await endedCallsWithoutSummary(store.database.db, new Date(Date.now() - 60_000));
    expect(found).toContain(without);
    expect(found).not.toContain(withText);
    expect(found).not.toContain(live);

    const clock = new FakeClock();
    const db = store.database.db;
    const jobs = new PostCallSummaries({
      calls: calls(),
      endedWithoutSummary: (since) => endedCallsWithoutSummary(db, since),
      facts: (d: CallDetail) => loadCallFacts(db, d.callSid),
      log: quiet,
      clock,
      settleMs: 0,
    });
    expect(await jobs.catchUp()).toBe(found.length);
    await settle(jobs, clock, 100);
    expect((await calls().get(without))!.summary!.text).toMatch(/Maria Lopez called/);
    expect((await calls().get(withText))!.summary!.text).toBe('done already');
    await jobs.close();
  });

  it('close waits for the running summary and drops the queued ones', async () => {
    const a = await aiCallWithRecords();
    const b = await aiCallWithRecords();
    const clock = new FakeClock();
    const jobs = new PostCallSummaries({ calls: calls(), log: quiet, clock, settleMs: 0 });
    jobs.enqueue(a);
    jobs.enqueue(b);
    await jobs.close();
    expect(jobs.pending).toBe(0);
    expect((await calls().get(a))!.summary!.text).toMatch(/called/);
    expect((await calls().get(b))!.summary!.text).toBeUndefined();
    jobs.enqueue(b);
    expect(jobs.pending).toBe(0);
  });

  describe('on a job queue', () => {
    it("an ended call becomes a 'call-summary' job delayed by the settle wait; the job's run writes the summary", async () => {
      const sid = await aiCallWithRecords();
      const added: Array<{ callSid: CallSid; delayMs: number }> = [];
      const queue = new InProcessQueue({ workerName: 'node-b' });
      const db = store.database.db;
      const summaries = new PostCallSummaries({
        calls: calls(),
        facts: (d: CallDetail) => loadCallFacts(db, d.callSid),
        log: quiet,
        settleMs: 40,
        queue: {
          add: (callSid, delayMs) => {
            added.push({ callSid, delayMs });
            return queue.add('call-summary', { callSid }, { delayMs });
          },
        },
      });
      queue.process('call-summary', (job) => summaries.runJob(job.data.callSid, job.signal), {
        concurrency: 1,
      });
      onCallEnded(summaries)({ type: 'call-ended', callSid: sid });
      expect(added).toEqual([{ callSid: sid, delayMs: 40 }]);
      // Nothing runs on this node's own line.
      expect(summaries.pending).toBe(0);
      await queue.idle();
      expect((await calls().get(sid))!.summary!.text).toMatch(/Maria Lopez called/);
      await queue.close();
      await summaries.close();
    });

    it('a queue that refuses the call leaves it to this node: summarised here after all', async () => {
      const sid = await aiCallWithRecords();
      const clock = new FakeClock();
      const summaries = new PostCallSummaries({
        calls: calls(),
        log: quiet,
        clock,
        settleMs: 0,
        queue: { add: () => Promise.reject(new Error('job queue closed')) },
      });
      summaries.enqueue(sid);
      await new Promise((r) => setTimeout(r, 5));
      await settle(summaries, clock, 100);
      expect((await calls().get(sid))!.summary!.text).toMatch(/called/);
      await summaries.close();
    });

    it('two jobs for one call at once on a node make one run', async () => {
      const sid = await aiCallWithRecords();
      const real = calls();
      let reads = 0;
      const summaries = new PostCallSummaries({
        calls: { get: (s) => (reads++, real.get(s)), setSummary: (s, p) => real.setSummary(s, p) },
        log: quiet,
      });
      await Promise.all([summaries.runJob(sid), summaries.runJob(sid)]);
      // The second waited for the first (which had read the call) and asked for one more run: on
      // a node without a queue, that run is this node's own, after its settle wait.
      expect(reads).toBe(1);
      expect(summaries.pending).toBe(1);
      await summaries.close();
    });

    it('a job run while the node is closing fails, so the job runs again elsewhere', async () => {
      const summaries = new PostCallSummaries({ calls: calls(), log: quiet });
      await summaries.close();
      await expect(summaries.runJob(newSid())).rejects.toThrow(/closed/);
    });
  });
});
