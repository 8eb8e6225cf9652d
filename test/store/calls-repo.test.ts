import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BusinessId, CallSid, E164 } from '../../src/ids.js';
import { asCallSid } from '../../src/ids.js';
import {
  AssistSuggestionsRepo,
  BusinessesRepo,
  CallsRepo,
  InvalidCursorError,
} from '../../src/store/index.js';
import { drivers, useDatabase } from './drivers.js';

const newSid = (): CallSid => asCallSid(`CA${randomBytes(16).toString('hex')}`);
const t0 = new Date('2026-03-02T15:00:00.000Z');
const after = (ms: number) => new Date(t0.getTime() + ms);

describe.each(drivers)('calls repository on $name', (driver) => {
  if (driver.skipReason) {
    it.skip(`skipped: ${driver.skipReason}`, () => {});
    return;
  }
  const store = useDatabase(driver);
  const repo = () => new CallsRepo(store.database.db);
  let businessId: BusinessId;
  let otherBusinessId: BusinessId;

  beforeAll(async () => {
    const businesses = new BusinessesRepo(store.database.db);
    businessId = (await businesses.create({ name: 'Acme', greeting: 'Hi', phoneNumbers: ['+15005550006'] }))
      .id;
    otherBusinessId = (await businesses.create({ name: 'Other', greeting: 'Hello' })).id;
  });

  const inbound = (callSid: CallSid, startedAt = t0) =>
    repo().createInbound({
      callSid,
      businessId,
      from: '+14155550100' as E164,
      to: '+15005550006' as E164,
      startedAt,
    });

  it('createInbound is idempotent on the CallSid (Twilio retries the webhook)', async () => {
    const sid = newSid();
    const first = await inbound(sid);
    const retry = await inbound(sid, after(3000));
    expect(first.created).toBe(true);
    expect(retry.created).toBe(false);
    expect(retry.call.id).toBe(first.call.id);
    expect(retry.call.startedAt).toEqual(t0);
    expect(first.call).toMatchObject({
      callSid: sid,
      businessId,
      direction: 'inbound',
      channel: 'phone',
      status: 'ringing',
      fromNumber: '+14155550100',
      toNumber: '+15005550006',
      answeredAt: null,
      endedAt: null,
      recordingPath: null,
      summary: null,
    });
    expect((await repo().list({ businessId })).items.filter((c) => c.callSid === sid)).toHaveLength(1);
  });

  it('keeps the status with the highest sequence number when callbacks arrive out of order', async () => {
    const sid = newSid();
    await inbound(sid);
    const cb = (status: 'ringing' | 'in-progress' | 'completed', seq: number, ms: number) =>
      repo().recordStatus({
        callSid: sid,
        status,
        source: 'status-callback',
        sequenceNumber: seq,
        params: { CallStatus: status, SequenceNumber: String(seq) },
        occurredAt: after(ms),
      });

    expect(await cb('completed', 2, 65_000)).toEqual({
      outcome: 'recorded',
      applied: true,
      status: 'completed',
    });
    expect(await cb('in-progress', 1, 5_000)).toEqual({
      outcome: 'recorded',
      applied: false,
      status: 'completed',
    });
    expect(await cb('ringing', 0, 0)).toEqual({ outcome: 'recorded', applied: false, status: 'completed' });

    const call = await repo().get(sid);
    expect(call).toMatchObject({
      status: 'completed',
      answeredAt: after(5_000),
      endedAt: after(65_000),
      durationSec: 60,
    });
    // History is in occurrence order, not arrival order.
    expect(call!.statusHistory.map((s) => [s.status, s.sequenceNumber])).toEqual([
      ['ringing', 0],
      ['in-progress', 1],
      ['completed', 2],
    ]);
  });

  it('ignores a repeated callback and reports an unknown call', async () => {
    const sid = newSid();
    await inbound(sid);
    const input = {
      callSid: sid,
      status: 'in-progress' as const,
      source: 'status-callback' as const,
      sequenceNumber: 1,
      occurredAt: after(1000),
    };
    expect((await repo().recordStatus(input)).outcome).toBe('recorded');
    expect(await repo().recordStatus(input)).toEqual({ outcome: 'duplicate', status: 'in-progress' });
    expect((await repo().get(sid))!.statusHistory).toHaveLength(1);
    expect(await repo().recordStatus({ ...input, callSid: newSid() })).toEqual({ outcome: 'unknown-call' });
  });

  it('orders statuses without sequence numbers by when they happened, and takes Twilio’s duration', async () => {
    const sid = newSid();
    await inbound(sid);
    await repo().recordStatus({
      callSid: sid,
      status: 'in-progress',
      source: 'stream',
      occurredAt: after(2000),
    });
    await repo().recordStatus({
      callSid: sid,
      status: 'ringing',
      source: 'voice-webhook',
      occurredAt: after(1000),
    });
    expect((await repo().get(sid))!.status).toBe('in-progress');
    await repo().recordStatus({
      callSid: sid,
      status: 'completed',
      source: 'status-callback',
      sequenceNumber: 3,
      occurredAt: after(30_000),
      durationSec: 29,
    });
    // A late "stream" report cannot revive a call that has ended.
    await repo().recordStatus({
      callSid: sid,
      status: 'in-progress',
      source: 'system',
      occurredAt: after(31_000),
    });
    expect(await repo().get(sid)).toMatchObject({
      status: 'completed',
      durationSec: 29,
      answeredAt: after(2000),
    });
  });

  it('numbers turns in order and fills in how an interrupted turn ended', async () => {
    const sid = newSid();
    await inbound(sid);
    const t1 = await repo().appendTurn(sid, {
      speaker: 'agent',
      text: 'Thanks for calling Acme.',
      startOffsetMs: 0,
    });
    const t2 = await repo().appendTurn(sid, {
      speaker: 'caller',
      text: 'My basement is flooding',
      startOffsetMs: 2500,
    });
    const t3 = await repo().appendTurn(sid, {
      speaker: 'agent',
      text: 'I am sorry to hear that. Is anyone in danger? I can send someone right away.',
      startOffsetMs: 5200,
    });
    expect([t1?.seq, t2?.seq, t3?.seq]).toEqual([1, 2, 3]);
    const done = await repo().completeTurn(sid, 3, {
      interrupted: true,
      heardText: 'I am sorry to hear that.',
      endOffsetMs: 6900,
      latency: {
        endOfSpeechMs: 0,
        sttFinalMs: 180,
        firstLlmTokenMs: 420,
        firstTtsAudioMs: 610,
        firstFrameSentMs: 640,
      },
    });
    expect(done).toMatchObject({
      seq: 3,
      interrupted: true,
      heardText: 'I am sorry to hear that.',
      endOffsetMs: 6900,
    });

    const turns = (await repo().get(sid))!.turns;
    expect(turns.map((t) => [t.seq, t.speaker])).toEqual([
      [1, 'agent'],
      [2, 'caller'],
      [3, 'agent'],
    ]);
    expect(turns[2]!.latency).toEqual({
      endOfSpeechMs: 0,
      sttFinalMs: 180,
      firstLlmTokenMs: 420,
      firstTtsAudioMs: 610,
      firstFrameSentMs: 640,
    });
    expect(await repo().appendTurn(newSid(), { speaker: 'caller', text: 'x' })).toBeUndefined();
  });

  it('gives concurrent turn appends distinct sequence numbers', async () => {
    const sid = newSid();
    await inbound(sid);
    const turns = await Promise.all(
      Array.from({ length: 8 }, (_, i) => repo().appendTurn(sid, { speaker: 'caller', text: `part ${i}` })),
    );
    expect(turns.map((t) => t!.seq).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('returns the call detail: events in order, recording and summary', async () => {
    const sid = newSid();
    await inbound(sid);
    expect(await repo().appendEvent(sid, 'stream.started', { streamSid: 'MZ1' }, after(100))).toBe(true);
    expect(await repo().appendEvent(sid, 'dtmf', { digit: '1' }, after(4000))).toBe(true);
    expect(await repo().appendEvent(sid, 'barge-in', { heardMs: 1200 }, after(2000))).toBe(true);
    expect(await repo().appendEvent(newSid(), 'dtmf', {})).toBe(false);
    expect(await repo().setRecording(sid, 'recordings/2026/03/call.wav')).toBe(true);
    expect(
      await repo().setSummary(sid, { text: 'Caller reported a flooded basement.', emergency: true }),
    ).toBe(true);
    expect(await repo().setSummary(newSid(), { text: 'x' })).toBe(false);

    const detail = await repo().get(sid);
    expect(detail!.events.map((e) => [e.type, e.payload])).toEqual([
      ['stream.started', { streamSid: 'MZ1' }],
      ['barge-in', { heardMs: 1200 }],
      ['dtmf', { digit: '1' }],
    ]);
    expect(detail!.events[0]!.occurredAt).toEqual(after(100));
    expect(detail).toMatchObject({
      recordingPath: 'recordings/2026/03/call.wav',
      summary: { text: 'Caller reported a flooded basement.', emergency: true },
    });
    expect(await repo().get(newSid())).toBeUndefined();
  });

  it('lists calls newest first, a page at a time, per business', async () => {
    const sids: CallSid[] = [];
    const base = new Date('2030-01-01T00:00:00.000Z');
    for (let i = 0; i < 5; i++) {
      const sid = newSid();
      sids.push(sid);
      await repo().createInbound({
        callSid: sid,
        businessId: otherBusinessId,
        startedAt: new Date(base.getTime() + i),
      });
    }
    // Two calls at the very same millisecond must both appear, once each, across page boundaries.
    const twin = newSid();
    sids.push(twin);
    await repo().createInbound({
      callSid: twin,
      businessId: otherBusinessId,
      startedAt: new Date(base.getTime() + 4),
    });

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await repo().list({ businessId: otherBusinessId, limit: 2, before: cursor });
      seen.push(...page.items.map((c) => c.callSid));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen)).toEqual(new Set(sids));
    expect(seen).toHaveLength(6);
    expect(seen.slice(2)).toEqual([sids[3], sids[2], sids[1], sids[0]]);

    const all = await repo().list({ limit: 200 });
    expect(all.items.some((c) => c.businessId === businessId)).toBe(true);
    await expect(repo().list({ before: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
  });

  const claim = (callSid: CallSid, nodeId = 'node-a', streamSid = `MZ${randomBytes(16).toString('hex')}`) =>
    repo().claimStream({ callSid, businessId, streamSid, nodeId });

  it('a stream token is single-use: of two claims racing for one call exactly one wins', async () => {
    const sid = newSid();
    await inbound(sid);
    const results = await Promise.all([claim(sid, 'node-a'), claim(sid, 'node-b'), claim(sid, 'node-a')]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok)).toEqual([
      { ok: false, reason: 'already-claimed' },
      { ok: false, reason: 'already-claimed' },
    ]);
    // And later on, too.
    expect(await claim(sid)).toEqual({ ok: false, reason: 'already-claimed' });
  });

  it('a finished call, an unknown call or another business takes no stream', async () => {
    const ended = newSid();
    await inbound(ended);
    await repo().recordStatus({
      callSid: ended,
      status: 'completed',
      source: 'status-callback',
      occurredAt: t0,
    });
    expect(await claim(ended)).toEqual({ ok: false, reason: 'call-ended' });
    expect(await claim(newSid())).toEqual({ ok: false, reason: 'unknown-call' });
    const other = newSid();
    await inbound(other);
    expect(
      await repo().claimStream({
        callSid: other,
        businessId: otherBusinessId,
        streamSid: 'MZ1',
        nodeId: 'n',
      }),
    ).toEqual({ ok: false, reason: 'unknown-call' });
    expect(await claim(other)).toMatchObject({ ok: true, fromNumber: '+14155550100' });
  });

  it('closes only this node’s abandoned calls as failed, at their last sign of life, once', async () => {
    const mine = newSid();
    const theirs = newSid();
    const finished = newSid();
    const transferred = newSid();
    for (const sid of [mine, theirs, finished, transferred]) await inbound(sid);
    await claim(mine, 'node-recovering');
    await claim(theirs, 'node-other');
    await claim(finished, 'node-recovering');
    await claim(transferred, 'node-recovering');
    await repo().recordStatus({
      callSid: finished,
      status: 'completed',
      source: 'stream',
      occurredAt: new Date(),
      endReason: 'stop',
    });
    await repo().setEndReason(transferred, 'transferred');
    expect(await repo().heartbeat('node-recovering')).toBeGreaterThanOrEqual(1);

    const closed = await repo().closeAbandoned('node-recovering', 'node-restarted');
    expect(closed.map((c) => c.callSid)).toEqual([mine]);
    const call = await repo().get(mine);
    expect(call).toMatchObject({ status: 'failed', endReason: 'node-restarted', nodeId: 'node-recovering' });
    expect(call?.endedAt).toEqual(call?.lastSeenAt);
    expect(call?.statusHistory.at(-1)).toMatchObject({ status: 'failed', source: 'system' });
    expect((await repo().get(theirs))?.endedAt).toBeNull();
    expect((await repo().get(transferred))?.endedAt).toBeNull();
    expect((await repo().get(finished))?.endReason).toBe('stop');
    // A second pass (or another node racing) stores nothing more.
    expect(await repo().closeAbandoned('node-recovering', 'node-restarted')).toEqual([]);
    expect((await repo().get(mine))?.statusHistory.filter((s) => s.status === 'failed')).toHaveLength(1);
  });

  it('closes another node’s calls only once they have been silent past the stale limit', async () => {
    const sid = newSid();
    await inbound(sid);
    await claim(sid, 'node-gone');
    expect((await repo().closeStale('node-self', 60_000, 'node-lost')).map((c) => c.callSid)).not.toContain(
      sid,
    );
    await new Promise((r) => setTimeout(r, 30));
    expect((await repo().closeStale('node-self', 10, 'node-lost')).map((c) => c.callSid)).toContain(sid);
    expect(await repo().get(sid)).toMatchObject({ status: 'failed', endReason: 'node-lost' });
  });

  it('merges summary parts from different writers: figures first, the written summary later', async () => {
    const sid = newSid();
    await inbound(sid);
    await repo().setSummary(sid, { turns: 6, outcome: 'caller-hung-up' });
    await repo().setSummary(sid, {
      text: 'Asked about drain cleaning prices.',
      actionItems: ['Send a quote'],
    });
    expect((await repo().get(sid))?.summary).toEqual({
      turns: 6,
      outcome: 'caller-hung-up',
      text: 'Asked about drain cleaning prices.',
      actionItems: ['Send a quote'],
    });
  });

  it('hands an assisted call to the AI once: setAnsweredBy says whether it changed who answers', async () => {
    const sid = newSid();
    await repo().create({ callSid: sid, businessId, answeredBy: 'human', status: 'in-progress' });
    expect(await repo().setAnsweredBy(sid, 'ai')).toBe(true);
    expect((await repo().get(sid))?.answeredBy).toBe('ai');
    expect(await repo().liveOwner(sid)).toEqual({ businessId, answeredBy: 'ai' });
    // A retried webhook changes nothing more, and an unknown call is no call.
    expect(await repo().setAnsweredBy(sid, 'ai')).toBe(false);
    expect(await repo().setAnsweredBy(newSid(), 'ai')).toBe(false);
    expect((await repo().get(sid))?.answeredBy).toBe('ai');
  });

  it('lets one assist stream claim a live call once, for its own business only', async () => {
    const sid = newSid();
    await repo().create({ callSid: sid, businessId, answeredBy: 'human', status: 'in-progress' });
    expect((await repo().get(sid))?.answeredBy).toBe('human');
    expect(await repo().businessOf(sid)).toBe(businessId);
    expect(await repo().businessOf(newSid())).toBeUndefined();
    expect(await repo().liveOwner(sid)).toEqual({ businessId, answeredBy: 'human' });
    expect(await repo().claimAssist({ callSid: sid, businessId: otherBusinessId })).toEqual({
      ok: false,
      reason: 'unknown-call',
    });
    expect(await repo().claimAssist({ callSid: sid, businessId })).toEqual({ ok: true, fromNumber: null });
    expect(await repo().claimAssist({ callSid: sid, businessId })).toEqual({
      ok: false,
      reason: 'already-claimed',
    });
    const ended = newSid();
    await inbound(ended);
    await repo().recordStatus({
      callSid: ended,
      status: 'completed',
      source: 'status-callback',
      occurredAt: t0,
    });
    expect(await repo().claimAssist({ callSid: ended, businessId })).toEqual({
      ok: false,
      reason: 'call-ended',
    });
  });

  it('keeps every suggestion shown in the call detail, in order, once per id, for the call’s business only', async () => {
    const sid = newSid();
    await inbound(sid);
    const audit = new AssistSuggestionsRepo(store.database.db);
    const card = {
      id: '6f1c7a2e-0d9b-4b8e-9d36-5d0f3f2b9a11',
      callSid: sid,
      businessId,
      kind: 'intent' as const,
      intent: 'pricing',
      content: 'Customer asked about pricing: drain cleaning is from $89.',
      confidence: 0.85,
      priority: 'medium' as const,
      basis: 'interim' as const,
      evidence: { words: 'how much is drain cleaning' },
      atMs: 5200,
      shownAt: after(5200),
    };
    expect(await audit.record(card)).toBe(true);
    expect(await audit.record(card)).toBe(false);
    expect(await audit.record({ ...card, id: undefined, businessId: otherBusinessId })).toBe(false);
    expect(
      await audit.record({
        ...card,
        id: undefined,
        kind: 'compliance',
        intent: null,
        content: 'Say the recording disclosure.',
        priority: 'high',
        basis: 'final',
        atMs: 30_000,
        shownAt: after(30_000),
      }),
    ).toBe(true);
    const shown = (await repo().get(sid))!.suggestions;
    expect(shown.map((s) => [s.kind, s.priority, s.atMs])).toEqual([
      ['intent', 'medium', 5200],
      ['compliance', 'high', 30_000],
    ]);
    expect(shown[0]).toMatchObject({
      id: card.id,
      confidence: 0.85,
      evidence: card.evidence,
      shownAt: after(5200),
    });
  });
});
