import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createStoreTools, RulesBrain, type Brain, type TurnInput } from '../../src/agent/index.js';
import {
  ConversationBusyError,
  ConversationEndedError,
  ConversationEngine,
  runIdleSweeper,
  sweepIdleConversations,
  UnknownConversationError,
  type ConversationBrainRequest,
  type ConversationId,
  type ConversationRef,
} from '../../src/conversations/index.js';
import { asCallSid } from '../../src/ids.js';
import { AlertEscalations, Notifier, OutboxDispatcher } from '../../src/notify/index.js';
import {
  BusinessesRepo,
  CallsRepo,
  ConversationsRepo,
  DEMO_BUSINESS_ID,
  EmergenciesRepo,
  LeadsRepo,
  seedDemoBusiness,
  type Business,
  type Db,
} from '../../src/store/index.js';
import { outbox } from '../../src/store/schema/outbox.js';
import { allKinds, ScriptedChannel } from '../notify/support/notify-fixtures.js';
import { silentLogger, useDatabase } from '../store/drivers.js';

/** Wednesday 4 March 2026, 9:15 a.m. in New York (open hours). */
const NOW = new Date('2026-03-04T14:15:00Z');
const say = (text: string): TurnInput => ({ kind: 'speech', text });
const greet: TurnInput = { kind: 'call-started' };
const turnOpts = () => ({ signal: new AbortController().signal });
let visitors = 0;

/**
 * The engine on PGlite with the offline brain acting through the real store tools: what a chat,
 * a WhatsApp thread or a record-and-reply call gets from it. (The repository's SQL is tested on
 * both drivers in test/store/conversations-repo.test.ts.)
 */
describe('conversation engine', () => {
  const store = useDatabase({ name: 'pglite' });
  let db: Db;
  let demo: Business;
  let notifier: Notifier;

  beforeAll(async () => {
    db = store.database.db;
    await seedDemoBusiness(db, silentLogger);
    demo = (await new BusinessesRepo(db).getById(DEMO_BUSINESS_ID))!;
    const dispatcher = new OutboxDispatcher({
      db,
      channels: allKinds(new ScriptedChannel()),
      pollIntervalMs: 60_000,
    });
    notifier = new Notifier({ db, outbox: dispatcher, escalations: new AlertEscalations({ db }) });
  });

  /** The brain the app builds: rules, acting through store tools bound to the conversation. */
  const rulesBrain = (req: ConversationBrainRequest): Brain =>
    new RulesBrain({
      tools: createStoreTools(
        { db, notifier, searchKnowledge: async () => [], now: () => NOW },
        { business: req.business, callSid: req.callSid, channel: req.channel, callerId: req.callerId },
      ),
      lifetime: req.lifetime,
    });

  function engine(opts: { brainFor?: (req: ConversationBrainRequest) => Brain; now?: () => Date } = {}) {
    return new ConversationEngine({
      db,
      calls: new CallsRepo(db),
      businesses: new BusinessesRepo(db),
      brainFor: opts.brainFor ?? rulesBrain,
      log: silentLogger,
      now: opts.now ?? (() => NOW),
    });
  }

  const openChat = (e: ConversationEngine, partyKey = `visitor-${++visitors}`) =>
    e.open({ businessId: demo.id, channel: 'chat', partyKey });

  const turnsOf = async (c: ConversationRef) =>
    ((await new CallsRepo(db).get(c.callSid))?.turns ?? []).map((t) => [t.seq, t.speaker, t.text]);

  it('opens a chat on a new calls row and greets without counting an inbound message', async () => {
    const e = engine();
    const c = await openChat(e);
    expect(c).toMatchObject({ channel: 'chat', created: true, lastInboundAt: undefined, endedAt: undefined });
    expect(c.callSid).toMatch(/^CH[0-9a-f]{32}$/);
    const call = await new CallsRepo(db).get(c.callSid);
    expect(call).toMatchObject({ channel: 'chat', direction: 'inbound', status: 'in-progress' });

    const hello = await e.take(c.id, greet, turnOpts());
    expect(hello.replies.join(' ')).toMatch(/acme plumbing/i);
    expect(hello.ended).toBeUndefined();
    // Only the agent spoke; the visitor has not written yet.
    expect(await turnsOf(c)).toEqual([[1, 'agent', hello.replies.join(' ')]]);
    expect((await e.get(c.id))?.lastInboundAt).toBeUndefined();
    expect(await e.history(c.id)).toEqual([
      { speaker: 'agent', text: hello.replies.join(' '), at: expect.any(Date) },
    ]);
  });

  it('carries lead capture across turns and across a restart, leaving a chat lead', async () => {
    const before = engine();
    const c = await openChat(before);
    await before.take(c.id, greet, turnOpts());
    await before.take(c.id, say('can someone call me back about a leak under my kitchen sink'), turnOpts());
    const named = await before.take(c.id, say('Dana Lee'), turnOpts());
    expect(named.replies.join(' ')).toMatch(/best number/i);
    await before.close();

    // A new engine (a restart, or another node): what the brain knew is in the database.
    const after = engine();
    const phone = await after.take(c.id, say('312 555 0199'), turnOpts());
    expect(phone.replies.join(' ')).toMatch(/address/i);
    await after.take(c.id, say('42 Oak Avenue, Brooklyn'), turnOpts());
    await after.take(c.id, say('a leak under my kitchen sink'), turnOpts());
    const last = await after.take(c.id, say('today please'), turnOpts());
    expect(last.outputs).toContainEqual(expect.objectContaining({ type: 'lead', complete: true }));

    const [lead] = await new LeadsRepo(db).list(demo.id, { callSid: c.callSid });
    expect(lead).toMatchObject({
      channel: 'chat',
      name: 'Dana Lee',
      phone: '+13125550199',
      address: '42 Oak Avenue Brooklyn',
      complete: true,
    });
    // The lead's notice went to the owner's outbox.
    const notices = await db.select().from(outbox).where(eq(outbox.causeId, lead!.id));
    expect(notices.length).toBeGreaterThan(0);

    // Both sides of every turn, in order, on the calls row; the lead events as a call's log has them.
    const turns = await turnsOf(c);
    expect(turns.map(([seq]) => seq)).toEqual(turns.map((_, i) => i + 1));
    expect(turns.filter(([, who]) => who === 'caller').map(([, , text]) => text)).toEqual([
      'can someone call me back about a leak under my kitchen sink',
      'Dana Lee',
      '312 555 0199',
      '42 Oak Avenue, Brooklyn',
      'a leak under my kitchen sink',
      'today please',
    ]);
    const events = (await new CallsRepo(db).get(c.callSid))!.events;
    expect(events.filter((ev) => ev.type === 'lead').at(-1)?.payload).toEqual({
      complete: true,
      fields: ['address', 'name', 'need', 'phone', 'urgency'],
    });
    expect(await after.get(c.id)).toMatchObject({ lastInboundAt: NOW, endedAt: undefined });
  });

  it('raises an emergency from a chat message: the emergency row and its notifications', async () => {
    const e = engine();
    const c = await openChat(e);
    const r = await e.take(c.id, say('my pipe burst and water is everywhere'), turnOpts());
    expect(r.outputs).toContainEqual(expect.objectContaining({ type: 'emergency' }));
    expect(r.replies.join(' ')).toMatch(/alerting our on-call team/i);

    const [emergency] = await new EmergenciesRepo(db).list(demo.id, { callSid: c.callSid });
    expect(emergency).toMatchObject({ channel: 'chat' });
    expect(emergency!.transcript.at(-1)).toMatchObject({
      speaker: 'caller',
      text: 'my pipe burst and water is everywhere',
    });
    const queued = await db.select().from(outbox).where(eq(outbox.callSid, c.callSid));
    expect(queued.filter((n) => n.cause.startsWith('emergency')).length).toBeGreaterThan(0);
    const events = (await new CallsRepo(db).get(c.callSid))!.events.map((ev) => ev.type);
    expect(events).toContain('emergency');
  });

  it('runs concurrent turns of one conversation one at a time, in arrival order', async () => {
    const e = engine({ brainFor: () => echoBrain() });
    const c = await openChat(e);
    const results = await Promise.all(
      ['one', 'two', 'three', 'four'].map((t) => e.take(c.id, say(t), turnOpts())),
    );
    // Each turn saw the state the one before it left.
    expect(results.map((r) => r.replies)).toEqual([['1: one'], ['2: two'], ['3: three'], ['4: four']]);
    expect(await turnsOf(c)).toEqual([
      [1, 'caller', 'one'],
      [2, 'agent', '1: one'],
      [3, 'caller', 'two'],
      [4, 'agent', '2: two'],
      [5, 'caller', 'three'],
      [6, 'agent', '3: three'],
      [7, 'caller', 'four'],
      [8, 'agent', '4: four'],
    ]);
  });

  it('replays a turn that lost to another node, on top of the turn that won', async () => {
    const gate = barrier(2);
    const c = await openChat(engine());
    const nodeA = engine({ brainFor: () => echoBrain(gate) });
    const nodeB = engine({ brainFor: () => echoBrain(gate) });
    // Both read the conversation at 0 turns before either saves.
    const [a, b] = await Promise.all([
      nodeA.take(c.id, say('from a'), turnOpts()),
      nodeB.take(c.id, say('from b'), turnOpts()),
    ]);
    const replies = [...a.replies, ...b.replies].sort();
    // One was saved as turn 1, the other replayed as turn 2 with the winner's state.
    expect(replies.map((r) => r.slice(0, 2))).toEqual(['1:', '2:']);
    const turns = await turnsOf(c);
    expect(turns).toHaveLength(4);
    expect(turns.map(([, who]) => who)).toEqual(['caller', 'agent', 'caller', 'agent']);
    expect(turns[1]![2]).toMatch(new RegExp(`^1: ${String(turns[0]![2])}$`));
    expect(turns[3]![2]).toMatch(new RegExp(`^2: ${String(turns[2]![2])}$`));
  });

  it('does not replay a lost turn that raised something (a second alert), and stores nothing of it', async () => {
    const gate = barrier(2);
    const c = await openChat(engine());
    const alerting = (): Brain => ({
      async *respond(turn, ctx) {
        await gate();
        ctx.state['n'] = Number(ctx.state['n'] ?? 0) + 1;
        yield { type: 'emergency', category: 'flooding', trigger: 'flood', summary: 'flood' };
        yield { type: 'say', text: 'alerting' };
      },
    });
    const results = await Promise.allSettled([
      engine({ brainFor: alerting }).take(c.id, say('flood a'), turnOpts()),
      engine({ brainFor: alerting }).take(c.id, say('flood b'), turnOpts()),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected');
    expect((lost as PromiseRejectedResult).reason).toBeInstanceOf(ConversationBusyError);
    expect(await turnsOf(c)).toHaveLength(2);
  });

  it("ends on the brain's goodbye: the calls row completes, and the conversation takes no more turns", async () => {
    const e = engine();
    const c = await openChat(e);
    await e.take(c.id, greet, turnOpts());
    const bye = await e.take(c.id, say('no thanks, bye'), turnOpts());
    expect(bye.ended).toBe('caller-goodbye');
    expect((await e.get(c.id))?.endedAt).toEqual(NOW);
    const call = await new CallsRepo(db).get(c.callSid);
    expect(call).toMatchObject({ status: 'completed', endReason: 'caller-goodbye', endedAt: NOW });
    expect(call!.events.map((ev) => ev.type)).toEqual(
      expect.arrayContaining(['agent-hangup', 'conversation-ended']),
    );
    await expect(e.take(c.id, say('hello?'), turnOpts())).rejects.toBeInstanceOf(ConversationEndedError);
    // The same visitor writing again starts a new conversation.
    const next = await openChat(e, c.partyKey);
    expect(next).toMatchObject({ created: true });
    expect(next.id).not.toBe(c.id);
  });

  it('end is idempotent and keeps the first reason', async () => {
    const e = engine();
    const c = await openChat(e);
    await e.end(c.id, 'visitor-left');
    await e.end(c.id, 'idle');
    const call = await new CallsRepo(db).get(c.callSid);
    expect(call).toMatchObject({ status: 'completed', endReason: 'visitor-left' });
    expect(call!.events.filter((ev) => ev.type === 'conversation-ended')).toHaveLength(1);
    await expect(e.take(c.id, say('hi'), turnOpts())).rejects.toBeInstanceOf(ConversationEndedError);
  });

  it('two concurrent opens for one party give one conversation', async () => {
    const partyKey = `visitor-${++visitors}`;
    const [a, b] = await Promise.all([openChat(engine(), partyKey), openChat(engine(), partyKey)]);
    expect(a.id).toBe(b.id);
    expect(a.callSid).toBe(b.callSid);
    expect([a.created, b.created].sort()).toEqual([false, true]);
  });

  it('holds a record-and-reply call on its own calls row, and a WhatsApp thread on a WA row', async () => {
    const e = engine();
    const callSid = asCallSid(`CA${'5'.repeat(32)}`);
    await new CallsRepo(db).create({
      callSid,
      businessId: demo.id,
      from: '+13125550188',
      status: 'in-progress',
    });
    const phone = await e.open({ businessId: demo.id, channel: 'phone', partyKey: callSid, callSid });
    expect(phone).toMatchObject({ channel: 'phone', callSid, created: true });
    // A CallSid the business has no call for is refused.
    await expect(
      e.open({
        businessId: demo.id,
        channel: 'phone',
        partyKey: 'x',
        callSid: asCallSid(`CA${'6'.repeat(32)}`),
      }),
    ).rejects.toThrow(/no such call/);

    const wa = await e.open({
      businessId: demo.id,
      channel: 'whatsapp',
      partyKey: 'whatsapp:+13125550177',
      callerId: '+13125550177' as never,
      from: 'whatsapp:+13125550177',
      to: 'whatsapp:+15005550006',
    });
    expect(wa.callSid).toMatch(/^WA[0-9a-f]{32}$/);
    // The caller's number reaches the brain from the WhatsApp address.
    const seen: ConversationBrainRequest[] = [];
    const spy = engine({ brainFor: (req) => (seen.push(req), echoBrain()) });
    await spy.take(wa.id, say('hi'), turnOpts());
    expect(seen[0]).toMatchObject({ channel: 'whatsapp', callerId: '+13125550177', callSid: wa.callSid });
    expect(await e.lastInboundAt(demo.id, 'whatsapp', 'whatsapp:+13125550177')).toEqual(NOW);
  });

  it('closing the engine aborts the lifetime of a turn under way and takes no more turns', async () => {
    let lifetime: AbortSignal | undefined;
    const e = engine({
      brainFor: (req) => {
        lifetime = req.lifetime;
        return {
          async *respond() {
            await new Promise((resolve) => req.lifetime.addEventListener('abort', resolve));
            yield { type: 'say', text: 'cut short' };
          },
        };
      },
    });
    const c = await openChat(e);
    const turn = e.take(c.id, say('hello'), turnOpts());
    await vi.waitFor(() => expect(lifetime).toBeDefined());
    await e.close();
    expect(lifetime!.aborted).toBe(true);
    await expect(turn).resolves.toMatchObject({ replies: ['cut short'] });
    await expect(e.take(c.id, say('again'), turnOpts())).rejects.toThrow(/closed/);
  });

  it('the idle sweep closes only open chat and WhatsApp conversations idle for longer than asked', async () => {
    let clock = new Date('2031-01-01T00:00:00Z'); // after every other test's conversations
    const e = engine({ now: () => clock });
    const stale = await openChat(e);
    const staleWa = await e.open({
      businessId: demo.id,
      channel: 'whatsapp',
      partyKey: `whatsapp:+1312555${++visitors}`,
    });
    const callSid = asCallSid(`CA${'7'.repeat(32)}`);
    await new CallsRepo(db).create({ callSid, businessId: demo.id, status: 'in-progress' });
    const phone = await e.open({ businessId: demo.id, channel: 'phone', partyKey: callSid, callSid });
    clock = new Date(clock.getTime() + 20 * 60_000);
    const active = await openChat(e);
    clock = new Date(clock.getTime() + 15 * 60_000); // stale: 35 min idle; active: 15 min

    const swept = await sweepIdleConversations(
      { repo: new ConversationsRepo(db), conversations: e, log: silentLogger, now: () => clock },
      { idleMs: 30 * 60_000 },
    );
    expect(swept).toBeGreaterThanOrEqual(2);
    expect((await e.get(stale.id))?.endedAt).toEqual(clock);
    expect((await e.get(staleWa.id))?.endedAt).toEqual(clock);
    expect((await e.get(active.id))?.endedAt).toBeUndefined();
    expect((await e.get(phone.id))?.endedAt).toBeUndefined();
    expect(await new CallsRepo(db).get(stale.callSid)).toMatchObject({
      status: 'completed',
      endReason: 'idle',
    });
  });

  it('the sweep leaves alone a conversation a message woke after it was found idle', async () => {
    const clock = new Date('2032-01-01T00:00:00Z');
    const e = engine({ now: () => clock });
    const c = await openChat(e);
    const repo = new ConversationsRepo(db);
    await sweepIdleConversations(
      {
        // The message arrives between the sweep's list and its end.
        repo: {
          listIdle: async (q) => {
            const found = await repo.listIdle(q);
            await repo.touch(c.id, new Date(clock.getTime() + 40 * 60_000), { inbound: true });
            return found;
          },
        },
        conversations: e,
        log: silentLogger,
        now: () => new Date(clock.getTime() + 40 * 60_000),
      },
      { idleMs: 30 * 60_000 },
    );
    expect((await e.get(c.id))?.endedAt).toBeUndefined();
  });

  it('runIdleSweeper sweeps until its signal aborts', async () => {
    const stop = new AbortController();
    let sweeps = 0;
    const run = runIdleSweeper(stop.signal, {
      repo: {
        listIdle: async () => {
          if (++sweeps === 3) stop.abort();
          if (sweeps === 2) throw new Error('database away'); // logged; the next sweep runs
          return [];
        },
      },
      conversations: { end: async () => undefined },
      log: silentLogger,
      everyMs: 1,
      idleMs: 1000,
    });
    await run;
    expect(sweeps).toBe(3);
  });

  it("stores keys pressed as the caller's turn; a silence is no turn and no inbound message", async () => {
    let clock = new Date('2026-03-04T15:00:00Z');
    const e = engine({ brainFor: () => echoBrain(), now: () => clock });
    const c = await openChat(e);
    await e.take(c.id, { kind: 'dtmf', digits: '1' }, turnOpts());
    expect((await e.get(c.id))?.lastInboundAt).toEqual(clock);
    const pressed = clock;
    clock = new Date(clock.getTime() + 60_000);
    await e.take(c.id, { kind: 'no-input' }, turnOpts());
    // A reminder the channel sends on its own is not the party writing either.
    await e.take(c.id, say('a reminder'), { ...turnOpts(), inbound: false });
    expect((await e.get(c.id))?.lastInboundAt).toEqual(pressed);
    expect(await turnsOf(c)).toEqual([
      [1, 'caller', '[pressed 1]'],
      [2, 'agent', '1: dtmf'],
      [3, 'agent', '2: no-input'],
      [4, 'caller', 'a reminder'],
      [5, 'agent', '3: a reminder'],
    ]);
  });

  it('a record-and-reply call moved to a person keeps its call open with the reason', async () => {
    const e = engine();
    const callSid = asCallSid(`CA${'8'.repeat(32)}`);
    await new CallsRepo(db).create({ callSid, businessId: demo.id, status: 'in-progress' });
    const c = await e.open({ businessId: demo.id, channel: 'phone', partyKey: callSid, callSid });
    await e.end(c.id, 'transferred');
    expect((await e.get(c.id))?.endedAt).toEqual(NOW);
    expect(await new CallsRepo(db).get(callSid)).toMatchObject({
      status: 'in-progress',
      endReason: 'transferred',
      endedAt: null,
    });
  });

  it('answers unknown ids plainly', async () => {
    const e = engine();
    const unknown = '00000000-0000-4000-8000-000000000000' as ConversationId;
    expect(await e.get(unknown)).toBeUndefined();
    expect(await e.history(unknown)).toEqual([]);
    await expect(e.take(unknown, say('hi'), turnOpts())).rejects.toBeInstanceOf(UnknownConversationError);
  });
});

/** A brain that counts its turns in its state and echoes each message with the count. */
function echoBrain(gate?: () => Promise<void>): Brain {
  return {
    async *respond(turn, ctx) {
      const n = Number(ctx.state['n'] ?? 0) + 1;
      await gate?.();
      ctx.state['n'] = n;
      yield { type: 'say', text: `${n}: ${turn.kind === 'speech' ? turn.text : turn.kind}` };
    },
  };
}

/** Resolves once `parties` have arrived (later arrivals pass straight through). */
function barrier(parties: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return () => {
    if (++arrived >= parties) open();
    return opened;
  };
}
