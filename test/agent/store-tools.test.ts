import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { createStoreTools, type StoreToolsDeps } from '../../src/agent/store-tools.js';
import type { TranscriptEntry } from '../../src/agent/brain.js';
import type { KnowledgeHit } from '../../src/agent/tools.js';
import { asCallSid, type BusinessId, type E164 } from '../../src/ids.js';
import {
  AlertEscalations,
  Notifier,
  OutboxDispatcher,
  OutboxRepo,
  type AttemptStarted,
} from '../../src/notify/index.js';
import {
  BookingsRepo,
  BusinessesRepo,
  CallsRepo,
  DEMO_BUSINESS,
  EmergenciesRepo,
  LeadsRepo,
  QuestionsRepo,
  type Business,
  type Db,
} from '../../src/store/index.js';
import { outbox } from '../../src/store/schema/outbox.js';
import { allKinds, ScriptedChannel, waitFor } from '../notify/support/notify-fixtures.js';
import { drivers, useDatabase } from '../store/drivers.js';

/** Wednesday 4 March 2026, 9:15 in New York (EST, UTC-5). */
const NOW = new Date('2026-03-04T14:15:00Z');
const TOMORROW_10 = '2026-03-05T15:00:00.000Z';
const CALLER = '+13125550199' as E164;
const never = new AbortController().signal;

const transcript: TranscriptEntry[] = [
  { speaker: 'agent', text: 'Thanks for calling Acme Plumbing. How can I help?' },
  { speaker: 'caller', text: 'My basement is flooding!', at: new Date(NOW) },
];

let sidSeq = 0;
const newSid = () => `CA${(++sidSeq).toString(16).padStart(32, '0')}`;

describe.each(drivers)('store-backed agent tools on $name', (driver) => {
  if (driver.skipReason) {
    it.skip(`skipped: ${driver.skipReason}`, () => {});
    return;
  }
  const store = useDatabase(driver);
  let db: Db;
  let demo: Business;
  let freePlan: Business;
  let wakes = 0;
  let notifier: Notifier;
  const searches: { businessId: string; query: string }[] = [];

  const deps = (over: Partial<StoreToolsDeps> = {}): StoreToolsDeps => ({
    db,
    notifier,
    searchKnowledge: async (businessId: BusinessId, query: string): Promise<KnowledgeHit[]> => {
      searches.push({ businessId, query });
      return [{ text: 'We are open on Saturdays from 9 to 1.', title: 'Hours', score: 1 }];
    },
    now: () => NOW,
    ...over,
  });

  /** A phone call to `business` as the voice layer records it, and tools bound to it. */
  async function call(
    business: Business = demo,
    opts: { callerId?: E164 | undefined; over?: Partial<StoreToolsDeps> } = {},
  ) {
    const callSid = newSid();
    const callerId = 'callerId' in opts ? opts.callerId : CALLER;
    const { call: row } = await new CallsRepo(db).create({
      callSid: asCallSid(callSid),
      businessId: business.id,
      from: callerId ?? null,
      status: 'in-progress',
    });
    const tools = createStoreTools(deps(opts.over), {
      business,
      callSid,
      channel: 'phone',
      callerId,
    });
    return { tools, callSid, callId: row.id };
  }

  const outboxOf = (callSid: string) => db.select().from(outbox).where(eq(outbox.callSid, callSid));

  beforeAll(async () => {
    db = store.database.db;
    const businesses = new BusinessesRepo(db);
    demo = await businesses.create(DEMO_BUSINESS);
    freePlan = await businesses.create({
      ...DEMO_BUSINESS,
      name: 'Budget Drains',
      plan: 'FREE',
      phoneNumbers: [],
    });
    notifier = new Notifier({
      db,
      outbox: { wake: () => wakes++ },
      escalations: new AlertEscalations({ db }),
    });
  });

  describe('leads', () => {
    it('stores a partial lead as soon as one field is known, so a dropped call keeps it', async () => {
      const { tools, callSid, callId } = await call();
      await tools.saveLead({ fields: { name: 'Dana Lee' }, complete: false, transcript }, never);
      const [lead] = await new LeadsRepo(db).list(demo.id, { callSid });
      expect(lead).toMatchObject({
        callId,
        callSid,
        channel: 'phone',
        name: 'Dana Lee',
        phone: null,
        complete: false,
        status: 'new',
      });
      expect(lead!.transcript).toEqual([
        { speaker: 'agent', text: 'Thanks for calling Acme Plumbing. How can I help?' },
        { speaker: 'caller', text: 'My basement is flooding!', at: NOW.toISOString() },
      ]);
      // A partial lead tells nobody yet.
      expect(await outboxOf(callSid)).toEqual([]);
    });

    it('keeps a name, number or email to what one can be, whatever was pasted into it', async () => {
      const { tools, callSid } = await call();
      await tools.saveLead(
        { fields: { name: 'Dana '.repeat(400), need: 'drain '.repeat(100) }, complete: false, transcript },
        never,
      );
      const [lead] = await new LeadsRepo(db).list(demo.id, { callSid });
      expect(lead!.name).toHaveLength(120);
      expect(lead!.need!.length).toBeGreaterThan(500);
    });

    it('updates the one lead in place and notifies the owner once when it becomes complete', async () => {
      const { tools, callSid } = await call();
      const wakesBefore = wakes;
      await tools.saveLead({ fields: { name: 'Dana Lee' }, complete: false, transcript }, never);
      await tools.saveLead(
        { fields: { name: 'Dana Lee', phone: '(312) 555-0199' }, complete: false, transcript },
        never,
      );
      const full = { name: 'Dana Lee', phone: '+13125550199', need: 'kitchen sink clogged' };
      await tools.saveLead({ fields: full, complete: true, transcript }, never);
      await tools.saveLead({ fields: { ...full, urgency: 'today' }, complete: true, transcript }, never);

      const leads = await new LeadsRepo(db).list(demo.id, { callSid });
      expect(leads).toHaveLength(1);
      expect(leads[0]).toMatchObject({ ...full, urgency: 'today', complete: true });
      const rows = await outboxOf(callSid);
      expect(rows.map((r) => [r.kind, r.recipient, r.cause, r.causeId])).toEqual([
        ['email', 'office@acme-plumbing.example', 'lead', leads[0]!.id],
      ]);
      expect(rows[0]!.subject).toBe('New lead: Dana Lee, +13125550199');
      expect(wakes).toBe(wakesBefore + 1);
    });

    it('keeps saves in order when the brain does not wait for the previous one', async () => {
      const { tools, callSid } = await call();
      await Promise.all([
        tools.saveLead({ fields: { name: 'A' }, complete: false, transcript }, never),
        tools.saveLead({ fields: { name: 'A', need: 'leak' }, complete: false, transcript }, never),
        tools.saveLead(
          { fields: { name: 'A', need: 'leak', address: '1 Elm St' }, complete: false, transcript },
          never,
        ),
      ]);
      const [lead] = await new LeadsRepo(db).list(demo.id, { callSid });
      expect(lead).toMatchObject({ name: 'A', need: 'leak', address: '1 Elm St' });
    });

    it('gives a conversation without a call record one, so a chat lead is still one row', async () => {
      const chatId = `chat-${newSid()}`;
      const tools = createStoreTools(deps(), { business: demo, callSid: chatId, channel: 'chat' });
      await tools.saveLead({ fields: { name: 'Sam' }, complete: false, transcript: [] }, never);
      await tools.saveLead(
        { fields: { name: 'Sam', need: 'quote' }, complete: false, transcript: [] },
        never,
      );
      const leads = await new LeadsRepo(db).list(demo.id, { callSid: chatId });
      expect(leads).toHaveLength(1);
      expect(leads[0]).toMatchObject({ channel: 'chat', need: 'quote' });
      expect((await new CallsRepo(db).get(asCallSid(chatId)))?.channel).toBe('chat');
    });
  });

  describe('emergencies', () => {
    it('writes the record with the whole conversation and its SMS, alert call and email together, then wakes the dispatcher', async () => {
      const { tools, callSid, callId } = await call();
      const wakesBefore = wakes;
      await tools.raiseEmergency(
        {
          category: 'flooding',
          trigger: 'basement is flooding',
          summary: 'Emergency (flooding): the caller said "My basement is flooding!".',
          transcript,
          callerId: CALLER,
        },
        never,
      );
      expect(wakes).toBe(wakesBefore + 1);
      const [emergency] = await new EmergenciesRepo(db).list(demo.id, { callSid });
      expect(emergency).toMatchObject({
        callId,
        category: 'flooding',
        trigger: 'basement is flooding',
        callerId: CALLER,
        status: 'open',
      });
      expect(emergency!.transcript).toHaveLength(2);
      const rows = await outboxOf(callSid);
      expect(rows.map((r) => `${r.kind} ${r.recipient}`).sort()).toEqual([
        'email owner@acme-plumbing.example',
        'sms +12125550147',
        'voice-call +12125550147',
      ]);
      for (const r of rows) {
        expect(r.cause).toMatch(/^emergency/);
        expect(r.status).toBe('pending');
      }
      expect(rows.find((r) => r.kind === 'email')!.body).toContain('caller: My basement is flooding!');
    });

    it('rolls back the record and every notification when any part fails, and reports the failure', async () => {
      const failing = new Notifier({
        db,
        outbox: { wake: () => wakes++ },
        escalations: {
          start: async () => {
            throw new Error('escalation insert failed');
          },
        } as unknown as AlertEscalations,
      });
      const { tools, callSid } = await call(demo, { over: { notifier: failing, emergencyAttempts: 2 } });
      await expect(
        tools.raiseEmergency(
          { category: 'gas', trigger: 'smell gas', summary: 'gas', transcript, callerId: CALLER },
          never,
        ),
      ).rejects.toThrow('escalation insert failed');
      expect(await new EmergenciesRepo(db).list(demo.id, { callSid })).toEqual([]);
      expect(await outboxOf(callSid)).toEqual([]);
    });

    it('is written even after the conversation signal has aborted (the caller hung up)', async () => {
      const { tools, callSid } = await call();
      const gone = new AbortController();
      gone.abort();
      await tools.raiseEmergency(
        { category: 'burst-pipe', trigger: 'pipe burst', summary: 's', transcript },
        gone.signal,
      );
      expect(await new EmergenciesRepo(db).list(demo.id, { callSid })).toHaveLength(1);
      // Caller ID from the conversation when the report has none.
      expect((await new EmergenciesRepo(db).list(demo.id, { callSid }))[0]!.callerId).toBe(CALLER);
    });

    it('leaves out voice alerts on a plan without them, and still texts and emails', async () => {
      const { tools, callSid } = await call(freePlan);
      await tools.raiseEmergency(
        { category: 'sewage', trigger: 'sewage', summary: 's', transcript, callerId: CALLER },
        never,
      );
      expect((await outboxOf(callSid)).map((r) => r.kind).sort()).toEqual(['email', 'sms']);
    });

    it('has its first notification attempted well within 2 s of being raised (real dispatcher)', async () => {
      const started: AttemptStarted[] = [];
      const dispatcher = new OutboxDispatcher({
        db,
        channels: allKinds(new ScriptedChannel()),
        pollIntervalMs: 60_000,
        onAttemptStarted: (e) => started.push(e),
      });
      const live = new Notifier({ db, outbox: dispatcher, escalations: new AlertEscalations({ db }) });
      const stop = new AbortController();
      const run = dispatcher.run(stop.signal);
      try {
        await new Promise((r) => setTimeout(r, 50));
        const { tools, callSid } = await call(demo, { over: { notifier: live } });
        const detected = Date.now();
        await tools.raiseEmergency(
          { category: 'flooding', trigger: 'flooding', summary: 's', transcript, callerId: CALLER },
          never,
        );
        await waitFor(async () => started.length >= 3, 3000);
        const first = Math.min(...started.map((s) => s.startedAt)) - detected;
        expect(first).toBeLessThan(2000);
        expect(new Set(started.map((s) => s.kind))).toEqual(new Set(['sms', 'voice-call', 'email']));
        const repo = new OutboxRepo(db);
        await waitFor(async () => (await repo.list({ callSid })).every((r) => r.status === 'sent'), 3000);
      } finally {
        stop.abort();
        await run;
      }
    });
  });

  describe('bookings', () => {
    it('books a free slot with the confirmation SMS to the caller in the same transaction', async () => {
      const { tools, callSid } = await call();
      const slots = await tools.findSlots(
        { serviceId: 'drain-cleaning', from: '2026-03-05T05:00:00Z', to: '2026-03-06T05:00:00Z', limit: 50 },
        never,
      );
      expect(slots[0]).toEqual({ start: '2026-03-05T13:00:00.000Z', end: '2026-03-05T14:00:00.000Z' });
      expect(slots.map((s) => s.start)).toContain(TOMORROW_10);

      const res = await tools.book(
        { serviceId: 'drain-cleaning', start: TOMORROW_10, customerName: 'Dana Lee' },
        never,
      );
      expect(res).toMatchObject({
        ok: true,
        booking: {
          serviceId: 'drain-cleaning',
          start: TOMORROW_10,
          end: '2026-03-05T16:00:00.000Z',
          customerName: 'Dana Lee',
          customerPhone: CALLER,
        },
      });
      const rows = await outboxOf(callSid);
      const sms = rows.find((r) => r.cause === 'booking-confirmation');
      expect(sms).toMatchObject({ kind: 'sms', recipient: CALLER });
      expect(sms!.body).toBe(
        'Acme Plumbing: your Drain cleaning is booked for Thu, Mar 5, 10:00 AM EST. Reply or call us to change it.',
      );
      expect(rows.filter((r) => r.cause === 'booking').map((r) => r.recipient)).toEqual([
        'office@acme-plumbing.example',
      ]);
      const after = await tools.findSlots(
        { serviceId: 'drain-cleaning', from: '2026-03-05T05:00:00Z', to: '2026-03-06T05:00:00Z', limit: 50 },
        never,
      );
      expect(after.map((s) => s.start)).not.toContain(TOMORROW_10);
    });

    it('answers taken to a second caller for the same slot, writing no booking and no text', async () => {
      const first = await call();
      const second = await call(demo, { callerId: '+13125550123' as E164 });
      const start = '2026-03-06T15:00:00.000Z'; // Friday 10 a.m.
      expect((await first.tools.book({ serviceId: 'leak-repair', start }, never)).ok).toBe(true);
      // Overlapping, not identical: the 90-minute service from 9:30 runs into 10:00.
      for (const attempt of [
        { serviceId: 'leak-repair', start },
        { serviceId: 'water-heater', start: '2026-03-06T14:30:00.000Z' },
      ]) {
        expect(await second.tools.book(attempt, never)).toEqual({ ok: false, reason: 'taken' });
      }
      expect(await new BookingsRepo(db).list(demo.id, { callSid: second.callSid })).toEqual([]);
      expect(await outboxOf(second.callSid)).toEqual([]);
    });

    it('lets exactly one of two callers racing for one slot have it', async () => {
      const callers = await Promise.all([call(), call(), call(), call()]);
      const start = '2026-03-09T14:00:00.000Z'; // Monday 10 a.m. EDT
      const results = await Promise.all(
        callers.map((c) => c.tools.book({ serviceId: 'drain-cleaning', start }, never)),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok)).toEqual([
        { ok: false, reason: 'taken' },
        { ok: false, reason: 'taken' },
        { ok: false, reason: 'taken' },
      ]);
    });

    it('refuses unknown services and times outside opening hours or in the past as invalid', async () => {
      const { tools } = await call();
      const cases = [
        { serviceId: 'roof-repair', start: TOMORROW_10 },
        { serviceId: 'drain-cleaning', start: '2026-03-08T15:00:00.000Z' }, // Sunday
        { serviceId: 'drain-cleaning', start: '2026-03-05T22:30:00.000Z' }, // 5:30 p.m., runs past 6
        { serviceId: 'drain-cleaning', start: '2026-03-04T14:00:00.000Z' }, // this morning, gone
        { serviceId: 'drain-cleaning', start: 'next tuesday' },
      ];
      for (const c of cases) expect(await tools.book(c, never)).toEqual({ ok: false, reason: 'invalid' });
    });

    it('finds the caller’s bookings by phone, moves one (texting the new time) and cancels it', async () => {
      const maker = await call();
      const made = await maker.tools.book(
        {
          serviceId: 'water-heater',
          start: '2026-03-10T13:00:00.000Z',
          customerPhone: '+13125550177' as E164,
        },
        never,
      );
      expect(made.ok).toBe(true);
      // A later call from another phone, where the caller gives the number the booking was made under.
      const { tools, callSid } = await call(demo, { callerId: undefined });
      const found = await tools.findBookings({ phone: '+13125550177' as E164 }, never);
      expect(found.map((b) => b.start)).toEqual(['2026-03-10T13:00:00.000Z']);
      const id = found[0]!.id;

      const moved = await tools.reschedule({ bookingId: id, start: '2026-03-11T17:00:00.000Z' }, never);
      expect(moved).toMatchObject({
        ok: true,
        booking: { id, start: '2026-03-11T17:00:00.000Z', end: '2026-03-11T18:30:00.000Z' },
      });
      expect(await tools.cancel({ bookingId: id }, never)).toEqual({ ok: true });
      expect(await tools.cancel({ bookingId: id }, never)).toEqual({ ok: false });
      const texts = (await outboxOf(callSid))
        .filter((r) => r.cause === 'booking-confirmation')
        .map((r) => r.body);
      expect(texts).toEqual([
        'Acme Plumbing: your Water heater service is moved to Wed, Mar 11, 1:00 PM EDT. Reply or call us to change it.',
        'Acme Plumbing: your Water heater service on Wed, Mar 11, 1:00 PM EDT is cancelled.',
      ]);
    });

    it('will not move or cancel a booking this conversation has no claim to', async () => {
      const owner = await call(demo, { callerId: '+13125550111' as E164 });
      const made = await owner.tools.book(
        { serviceId: 'leak-repair', start: '2026-03-12T14:00:00.000Z' },
        never,
      );
      if (!made.ok) throw new Error('setup booking failed');
      const stranger = await call(demo, { callerId: '+13125550222' as E164 });
      expect(await stranger.tools.cancel({ bookingId: made.booking.id }, never)).toEqual({ ok: false });
      expect(
        await stranger.tools.reschedule(
          { bookingId: made.booking.id, start: '2026-03-12T17:00:00.000Z' },
          never,
        ),
      ).toEqual({ ok: false, reason: 'not-found' });
      // The owner calling again from the same phone may.
      const again = await call(demo, { callerId: '+13125550111' as E164 });
      expect(await again.tools.cancel({ bookingId: made.booking.id }, never)).toEqual({ ok: true });
    });

    it('keeps the booking where it was when the new time is taken', async () => {
      const a = await call();
      const b = await call();
      const x = await a.tools.book({ serviceId: 'leak-repair', start: '2026-03-13T14:00:00.000Z' }, never);
      const y = await b.tools.book({ serviceId: 'leak-repair', start: '2026-03-13T16:00:00.000Z' }, never);
      if (!x.ok || !y.ok) throw new Error('setup bookings failed');
      expect(
        await b.tools.reschedule({ bookingId: y.booking.id, start: '2026-03-13T14:00:00.000Z' }, never),
      ).toEqual({ ok: false, reason: 'taken' });
      expect((await new BookingsRepo(db).getById(demo.id, y.booking.id))?.startsAt.toISOString()).toBe(
        '2026-03-13T16:00:00.000Z',
      );
      expect((await outboxOf(b.callSid)).filter((r) => r.body.includes('moved'))).toEqual([]);
    });
  });

  describe('questions, knowledge and hand-over', () => {
    it('records a question for the owner with the conversation', async () => {
      const { tools, callSid, callId } = await call();
      await tools.recordQuestion({ text: '  Do you fix sprinkler systems?  ', transcript }, never);
      const [q] = await new QuestionsRepo(db).list(demo.id, { callSid });
      expect(q).toMatchObject({ question: 'Do you fix sprinkler systems?', callId, status: 'open' });
      expect(q!.transcript).toHaveLength(2);
    });

    it('searches the knowledge base of this business only', async () => {
      const { tools } = await call();
      const hits = await tools.searchKnowledge('are you open saturday', never);
      expect(hits[0]?.text).toContain('Saturdays');
      expect(searches.at(-1)).toEqual({ businessId: demo.id, query: 'are you open saturday' });
      const aborted = new AbortController();
      aborted.abort();
      expect(await tools.searchKnowledge('anything', aborted.signal)).toEqual([]);
    });

    it('records the hand-over on the call with its summary', async () => {
      const { tools, callSid } = await call();
      await tools.transfer(
        { to: '+12125550147' as E164, summary: 'Caller: Dana. About: leak.', reason: 'caller-request' },
        never,
      );
      const detail = await new CallsRepo(db).get(asCallSid(callSid));
      expect(detail?.events.find((e) => e.type === 'transfer-requested')?.payload).toEqual({
        to: '+12125550147',
        reason: 'caller-request',
        summary: 'Caller: Dana. About: leak.',
      });
    });

    it('does not start a write once the turn has been aborted', async () => {
      const { tools, callSid } = await call();
      const aborted = new AbortController();
      aborted.abort();
      await expect(
        tools.saveLead({ fields: { name: 'X' }, complete: false, transcript }, aborted.signal),
      ).rejects.toThrow();
      await expect(
        tools.book({ serviceId: 'drain-cleaning', start: TOMORROW_10 }, aborted.signal),
      ).rejects.toThrow();
      expect(await new LeadsRepo(db).list(demo.id, { callSid })).toEqual([]);
    });
  });
});
