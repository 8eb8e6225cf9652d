import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BusinessId, CallSid } from '../../src/ids.js';
import { asCallSid } from '../../src/ids.js';
import {
  BusinessesRepo,
  CallsRepo,
  ConversationsRepo,
  type ConversationKey,
  type Db,
} from '../../src/store/index.js';
import { drivers, useDatabase } from './drivers.js';

const chatSid = (): CallSid => asCallSid(`CH${randomBytes(16).toString('hex')}`);
const t0 = new Date('2026-03-02T15:00:00.000Z');
const after = (ms: number) => new Date(t0.getTime() + ms);

describe.each(drivers)('conversations repository on $name', (driver) => {
  if (driver.skipReason) {
    it.skip(`skipped: ${driver.skipReason}`, () => {});
    return;
  }
  const store = useDatabase(driver);
  const repo = () => new ConversationsRepo(store.database.db);
  let businessId: BusinessId;
  let party = 0;

  beforeAll(async () => {
    businessId = (await new BusinessesRepo(store.database.db).create({ name: 'Acme', greeting: 'Hi' })).id;
  });

  const key = (channel: ConversationKey['channel'] = 'chat'): ConversationKey => ({
    businessId,
    channel,
    partyKey: `visitor-${++party}`,
  });
  /** A new chat calls row, made inside the open's transaction. */
  const newChatCall =
    (sids: CallSid[] = []) =>
    async (tx: Db) => {
      const callSid = chatSid();
      sids.push(callSid);
      const { call } = await new CallsRepo(tx).create({
        callSid,
        businessId,
        channel: 'chat',
        status: 'in-progress',
      });
      return call;
    };

  it('creates a conversation once, then finds it open', async () => {
    const k = key();
    const first = await repo().openOrCreate(k, t0, newChatCall());
    expect(first.created).toBe(true);
    expect(first.conversation).toMatchObject({
      ...k,
      turns: 0,
      state: {},
      lastInboundAt: null,
      lastActivityAt: t0,
      createdAt: t0,
      endedAt: null,
    });
    expect(first.conversation.callSid).toMatch(/^CH[0-9a-f]{32}$/);
    const again = await repo().openOrCreate(k, after(1000), newChatCall());
    expect(again).toEqual({ conversation: first.conversation, created: false });
  });

  it('two concurrent opens for one party give one conversation, and the loser leaves no calls row', async () => {
    const k = key('whatsapp');
    const sids: CallSid[] = [];
    const [a, b] = await Promise.all([
      repo().openOrCreate(k, t0, newChatCall(sids)),
      repo().openOrCreate(k, t0, newChatCall(sids)),
    ]);
    expect(a.conversation.id).toBe(b.conversation.id);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    // The losing open's calls row rolled back with its insert (when it got as far as making one).
    const calls = new CallsRepo(store.database.db);
    const rows = await Promise.all(sids.map((s) => calls.get(s)));
    expect(rows.filter(Boolean).map((r) => r!.callSid)).toEqual([a.conversation.callSid]);
  });

  it('an ended conversation makes room for a new one with the same party', async () => {
    const k = key();
    const first = (await repo().openOrCreate(k, t0, newChatCall())).conversation;
    const ended = await repo().end(first.id, after(5000));
    expect(ended).toMatchObject({ id: first.id, endedAt: after(5000) });
    // Idempotent: only the first end gets the conversation back.
    expect(await repo().end(first.id, after(6000))).toBeUndefined();
    expect((await repo().get(first.id))?.endedAt).toEqual(after(5000));

    const second = await repo().openOrCreate(k, after(7000), newChatCall());
    expect(second.created).toBe(true);
    expect(second.conversation.id).not.toBe(first.id);
    expect(second.conversation.callSid).not.toBe(first.callSid);
  });

  it('opening on a calls row whose conversation ended gives the ended one back', async () => {
    const callSid = asCallSid(`CA${randomBytes(16).toString('hex')}`);
    const { call } = await new CallsRepo(store.database.db).create({
      callSid,
      businessId,
      status: 'in-progress',
    });
    const k = { businessId, channel: 'phone' as const, partyKey: callSid };
    const existing = async () => call;
    const first = (await repo().openOrCreate(k, t0, existing)).conversation;
    await repo().end(first.id, after(1000));
    const again = await repo().openOrCreate(k, after(2000), existing);
    expect(again.created).toBe(false);
    expect(again.conversation).toMatchObject({ id: first.id, endedAt: after(1000) });
  });

  it('saves a turn only at the expected turn count, and never on an ended conversation', async () => {
    const c = (await repo().openOrCreate(key(), t0, newChatCall())).conversation;
    const first = { expectedTurns: 0, state: { step: 'name' }, at: after(1000), inbound: true };
    expect(await repo().saveTurn(c.id, first)).toBe(true);
    // A second request that read the conversation at 0 turns lost the race.
    expect(await repo().saveTurn(c.id, { ...first, state: { step: 'lost' } })).toBe(false);
    expect(await repo().get(c.id)).toMatchObject({
      turns: 1,
      state: { step: 'name' },
      lastInboundAt: after(1000),
      lastActivityAt: after(1000),
    });
    // An outbound turn (the greeting, a reminder) moves activity, not the inbound stamp.
    expect(
      await repo().saveTurn(c.id, {
        expectedTurns: 1,
        state: { step: 'phone' },
        at: after(2000),
        inbound: false,
      }),
    ).toBe(true);
    expect(await repo().get(c.id)).toMatchObject({
      turns: 2,
      lastInboundAt: after(1000),
      lastActivityAt: after(2000),
    });
    await repo().end(c.id, after(3000));
    expect(await repo().saveTurn(c.id, { expectedTurns: 2, state: {}, at: after(4000), inbound: true })).toBe(
      false,
    );
  });

  it('touch stamps activity on open conversations, never backwards', async () => {
    const c = (await repo().openOrCreate(key(), t0, newChatCall())).conversation;
    expect(await repo().touch(c.id, after(5000), { inbound: true })).toBe(true);
    expect(await repo().touch(c.id, after(1000), { inbound: true })).toBe(true);
    expect(await repo().get(c.id)).toMatchObject({ lastInboundAt: after(5000), lastActivityAt: after(5000) });
    await repo().end(c.id, after(6000));
    expect(await repo().touch(c.id, after(9000), { inbound: true })).toBe(false);
  });

  it("lastInboundAt is the party's latest message across its conversations on that channel", async () => {
    const k = key('whatsapp');
    expect(await repo().lastInboundAt(k)).toBeUndefined();
    const old = (await repo().openOrCreate(k, t0, newChatCall())).conversation;
    await repo().touch(old.id, after(1000), { inbound: true });
    await repo().end(old.id, after(2000));
    const current = (await repo().openOrCreate(k, after(3000), newChatCall())).conversation;
    // Nothing inbound on the new one yet: the ended one's stamp counts.
    expect(await repo().lastInboundAt(k)).toEqual(after(1000));
    await repo().touch(current.id, after(4000), { inbound: true });
    expect(await repo().lastInboundAt(k)).toEqual(after(4000));
    // Other channels and parties do not count.
    expect(await repo().lastInboundAt({ ...k, channel: 'chat' })).toBeUndefined();
  });

  it('lists open conversations idle since a time, on the channels asked, oldest first', async () => {
    const base = new Date('2030-01-01T00:00:00.000Z'); // after everything the other tests made
    const at = (min: number) => new Date(base.getTime() + min * 60_000);
    const open = async (channel: ConversationKey['channel'], lastActivity: Date) =>
      (await repo().openOrCreate(key(channel), lastActivity, newChatCall())).conversation;
    const idleChat = await open('chat', at(0));
    const idleWhatsapp = await open('whatsapp', at(5));
    const idlePhone = await open('phone', at(1));
    const fresh = await open('chat', at(50));
    const ended = await open('chat', at(2));
    await repo().end(ended.id, at(3));

    const idle = await repo().listIdle({ before: at(30), channels: ['chat', 'whatsapp'] });
    const ids = idle.map((c) => c.id);
    expect(ids.indexOf(idleChat.id)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(idleWhatsapp.id)).toBeGreaterThan(ids.indexOf(idleChat.id));
    expect(ids).not.toContain(idlePhone.id);
    expect(ids).not.toContain(fresh.id);
    expect(ids).not.toContain(ended.id);
    expect(await repo().listIdle({ before: at(30), channels: [] })).toEqual([]);
  });

  it('ends with idleBefore only a conversation still idle since then', async () => {
    const c = (await repo().openOrCreate(key(), t0, newChatCall())).conversation;
    await repo().touch(c.id, after(10_000), { inbound: true });
    expect(await repo().end(c.id, after(20_000), { idleBefore: after(5000) })).toBeUndefined();
    expect((await repo().get(c.id))?.endedAt).toBeNull();
    expect(await repo().end(c.id, after(20_000), { idleBefore: after(15_000) })).toMatchObject({ id: c.id });
  });

  it('get answers undefined for an unknown or malformed id', async () => {
    expect(await repo().get('00000000-0000-4000-8000-000000000000')).toBeUndefined();
    expect(await repo().get('not-a-uuid')).toBeUndefined();
  });
});
