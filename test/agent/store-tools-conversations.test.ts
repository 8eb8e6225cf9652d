import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { RulesBrain } from '../../src/agent/rules/rules-brain.js';
import { createStoreTools } from '../../src/agent/store-tools.js';
import { profileFromStored } from '../../src/business/stored-profile.js';
import { asCallSid, type E164 } from '../../src/ids.js';
import { AlertEscalations, Notifier, OutboxDispatcher, type AttemptStarted } from '../../src/notify/index.js';
import {
  BookingsRepo,
  BusinessesRepo,
  CallsRepo,
  DEMO_BUSINESS_ID,
  EmergenciesRepo,
  LeadsRepo,
  seedDemoBusiness,
  type Business,
  type Db,
} from '../../src/store/index.js';
import { outbox } from '../../src/store/schema/outbox.js';
import { Conversation } from './helpers.js';
import { allKinds, ScriptedChannel, waitFor } from '../notify/support/notify-fixtures.js';
import { drivers, silentLogger, useDatabase } from '../store/drivers.js';

/**
 * The offline brain talking to the real store through the store tools, on the seeded demo
 * business: what the "must show" asks of a call, at the text level.
 */

/** Wednesday 4 March 2026, 9:15 a.m. in New York. */
const NOW = new Date('2026-03-04T14:15:00Z');
let sidSeq = 0;

describe.each(drivers)('receptionist conversations over the store on $name', (driver) => {
  if (driver.skipReason) {
    it.skip(`skipped: ${driver.skipReason}`, () => {});
    return;
  }
  const store = useDatabase(driver);
  let db: Db;
  let demo: Business;
  const started: AttemptStarted[] = [];
  let notifier: Notifier;
  let dispatcher: OutboxDispatcher;

  beforeAll(async () => {
    db = store.database.db;
    await seedDemoBusiness(db, silentLogger);
    demo = (await new BusinessesRepo(db).getById(DEMO_BUSINESS_ID))!;
    dispatcher = new OutboxDispatcher({
      db,
      channels: allKinds(new ScriptedChannel()),
      pollIntervalMs: 60_000,
      onAttemptStarted: (e) => started.push(e),
    });
    notifier = new Notifier({ db, outbox: dispatcher, escalations: new AlertEscalations({ db }) });
  });

  async function caller(callerId = '+13125550199') {
    const callSid = `CA${(++sidSeq).toString(16).padStart(32, 'a')}`;
    await new CallsRepo(db).create({ callSid: asCallSid(callSid), businessId: demo.id, from: callerId });
    const tools = createStoreTools(
      { db, notifier, searchKnowledge: async () => [], now: () => NOW },
      { business: demo, callSid, channel: 'phone', callerId: callerId as E164 },
    );
    const c = new Conversation(new RulesBrain({ tools }), {
      business: profileFromStored(demo).profile,
      channel: 'phone',
      now: NOW,
      callerId: callerId as E164,
    });
    return { c, callSid };
  }

  it('stores the lead a caller leaves, and a partial one when they hang up after their name', async () => {
    const full = await caller();
    for (const t of [
      'can someone call me back about a leak under my kitchen sink',
      'Dana Lee',
      'yes',
      'yes',
      '42 Oak Avenue, Brooklyn',
      'a leak under my kitchen sink',
      'today please',
    ])
      await full.c.turn(t);
    const [lead] = await new LeadsRepo(db).list(demo.id, { callSid: full.callSid });
    expect(lead).toMatchObject({
      name: 'Dana Lee',
      phone: '+13125550199',
      address: '42 Oak Avenue Brooklyn',
      complete: true,
    });
    expect(lead?.need).toMatch(/leak under my kitchen sink/i);
    // The owner hears of it once it is complete, with the conversation.
    const notice = await db.select().from(outbox).where(eq(outbox.causeId, lead!.id));
    expect(notice.map((r) => [r.kind, r.recipient])).toEqual([['email', 'office@acme-plumbing.example']]);

    const dropped = await caller('+13125550123');
    await dropped.c.turn('I need someone to call me back');
    await dropped.c.turn('Sam Ortiz');
    await dropped.c.turn('yes'); // the name read back and confirmed...
    // ...and the line goes dead.
    const [partial] = await new LeadsRepo(db).list(demo.id, { callSid: dropped.callSid });
    expect(partial).toMatchObject({ name: 'Sam Ortiz', complete: false });
  });

  it('raises a flooding emergency with SMS, alert call and email attempted within 2 s', async () => {
    const stop = new AbortController();
    const run = dispatcher.run(stop.signal);
    try {
      const { c, callSid } = await caller();
      const t0 = Date.now();
      const reply = await c.turn('help, my basement is flooding');
      expect(reply.said).toContain('alerting our on-call team');
      await waitFor(async () => started.filter((s) => s.cause.startsWith('emergency')).length >= 3, 3000);
      const [emergency] = await new EmergenciesRepo(db).list(demo.id, { callSid });
      expect(emergency).toMatchObject({ category: 'flooding', callerId: '+13125550199' });
      expect(emergency!.transcript.at(-1)).toMatchObject({
        speaker: 'caller',
        text: 'help, my basement is flooding',
      });
      const rows = await db.select().from(outbox).where(eq(outbox.callSid, callSid));
      expect(new Set(rows.map((r) => r.kind))).toEqual(new Set(['sms', 'voice-call', 'email']));
      const first = Math.min(...started.map((s) => s.startedAt)) - t0;
      expect(first).toBeLessThan(2000);
    } finally {
      stop.abort();
      await run;
    }
  });

  it('books "tomorrow at 10" at 10 a.m. New York time, and a second caller cannot take it', async () => {
    const first = await caller();
    await first.c.turn("I'd like to book a drain cleaning tomorrow at 10");
    await first.c.turn('yes');
    await first.c.turn('Dana Lee');
    await first.c.turn('yes');
    const done = await first.c.turn('yes');
    expect(done.said).toContain('10 a.m.');
    const [booking] = await new BookingsRepo(db).list(demo.id, { callSid: first.callSid });
    expect(booking).toMatchObject({
      serviceId: 'drain-cleaning',
      startsAt: new Date('2026-03-05T15:00:00Z'),
      endsAt: new Date('2026-03-05T16:00:00Z'),
      customerName: 'Dana Lee',
    });
    const sms = await db.select().from(outbox).where(eq(outbox.cause, 'booking-confirmation'));
    expect(sms.map((r) => r.recipient)).toContain('+13125550199');

    const second = await caller('+13125550123');
    const offer = await second.c.turn('can I book a drain cleaning for tomorrow at 10');
    expect(offer.said).toMatch(/10 a\.m\. tomorrow isn't available/);
    expect(await new BookingsRepo(db).list(demo.id, { callSid: second.callSid })).toEqual([]);
  });
});
