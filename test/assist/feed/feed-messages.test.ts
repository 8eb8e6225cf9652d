import { describe, expect, it } from 'vitest';
import {
  feedMessageSchema,
  parseFeedMessage,
  readyMessage,
  statusMessage,
  toFeedMessages,
} from '../../../src/assist/feed/feed-messages.js';
import { AT, BIZ_A, CALL_A1, assistEvent, everyEvent, pricingSuggestion } from './fixtures.js';

const ISO = '2026-01-02T03:04:05.678Z';

describe('the suggestion message', () => {
  it("carries exactly seed 000's six keys, with their types", () => {
    const [suggestion] = toFeedMessages(assistEvent(pricingSuggestion()));
    expect(Object.keys(suggestion!).sort()).toEqual(
      ['callSid', 'confidence', 'content', 'priority', 'timestamp', 'type'].sort(),
    );
    expect(suggestion).toEqual({
      type: 'suggestion',
      content: 'Customer asked about pricing: the standard call-out fee is $89.',
      confidence: 0.85,
      timestamp: ISO,
      callSid: CALL_A1,
      priority: 'high',
    });
    // On the wire too: nothing undefined-valued hides a seventh key.
    expect(Object.keys(JSON.parse(JSON.stringify(suggestion)))).toHaveLength(6);
  });

  it('is followed by its detail: id, kind, intent, basis and evidence', () => {
    const body = pricingSuggestion();
    const msgs = toFeedMessages(assistEvent(body));
    expect(msgs.map((m) => m.type)).toEqual(['suggestion', 'suggestion-detail']);
    const s = (body as Extract<typeof body, { type: 'assist-suggestion' }>).suggestion;
    expect(msgs[1]).toEqual({
      type: 'suggestion-detail',
      id: s.id,
      callSid: CALL_A1,
      kind: 'intent',
      intent: 'pricing',
      basis: 'interim',
      evidence: { words: 'how much do you charge', passage: { title: 'Pricing', text: 'Call-out fee $89.' } },
      timestamp: ISO,
    });
  });

  it('refuses a suggestion with a seventh key or a confidence out of 0..1', () => {
    const ok = toFeedMessages(assistEvent(pricingSuggestion()))[0]!;
    expect(parseFeedMessage({ ...ok, id: 'x' }).ok).toBe(false);
    expect(parseFeedMessage({ ...ok, confidence: 1.2 }).ok).toBe(false);
    expect(parseFeedMessage({ ...ok, priority: 'urgent' }).ok).toBe(false);
    expect(parseFeedMessage({ ...ok, timestamp: 'yesterday' }).ok).toBe(false);
  });
});

describe('toFeedMessages', () => {
  it('maps every assist event to its own message type, each valid on the wire', () => {
    const types = everyEvent().map((b) => toFeedMessages(assistEvent(b)).map((m) => m.type));
    expect(types).toEqual([
      ['call-started'],
      ['transcript'],
      ['suggestion', 'suggestion-detail'],
      ['sentiment'],
      ['status'],
      ['call-ended'],
    ]);
    for (const b of everyEvent())
      for (const m of toFeedMessages(assistEvent(b))) expect(feedMessageSchema.parse(m)).toEqual(m);
  });

  it('keeps what each event says', () => {
    const [started, transcript, , sentiment, status, ended] = everyEvent().map(
      (b) => toFeedMessages(assistEvent(b))[0],
    );
    expect(started).toEqual({ type: 'call-started', callSid: CALL_A1, source: 'dial', timestamp: ISO });
    expect(transcript).toEqual({
      type: 'transcript',
      callSid: CALL_A1,
      speaker: 'customer',
      text: 'how much',
      final: false,
      timestamp: ISO,
    });
    expect(sentiment).toEqual({
      type: 'sentiment',
      callSid: CALL_A1,
      score: -0.4,
      label: 'negative',
      trend: 'worsening',
      timestamp: ISO,
    });
    expect(status).toEqual({
      type: 'status',
      state: 'unavailable',
      callSid: CALL_A1,
      reason: 'speech recognizer down',
      timestamp: ISO,
    });
    expect(ended).toEqual({ type: 'call-ended', callSid: CALL_A1, reason: 'call completed', timestamp: ISO });
  });

  it('gives a status without a reason a sentence of its own', () => {
    const [m] = toFeedMessages(assistEvent({ type: 'assist-status', state: 'available' }));
    expect(m).toMatchObject({ type: 'status', state: 'available', reason: 'assist available' });
  });

  it('leaves out of a detail the intent and evidence a suggestion does not have', () => {
    const body = pricingSuggestion() as Extract<
      ReturnType<typeof pricingSuggestion>,
      { type: 'assist-suggestion' }
    >;
    const { intent: _i, ...rest } = body.suggestion;
    const msgs = toFeedMessages(
      assistEvent({ type: 'assist-suggestion', suggestion: { ...rest, kind: 'compliance', evidence: {} } }),
    );
    expect(msgs[1]).not.toHaveProperty('intent');
    expect((msgs[1] as { evidence: object }).evidence).toEqual({});
  });
});

describe('parseFeedMessage', () => {
  it('reads a frame as text, bytes or a value', () => {
    const m = readyMessage({ businessId: BIZ_A, at: AT });
    const text = JSON.stringify(m);
    expect(parseFeedMessage(text)).toEqual({ ok: true, message: m });
    expect(parseFeedMessage(Buffer.from(text))).toEqual({ ok: true, message: m });
    expect(parseFeedMessage(m)).toEqual({ ok: true, message: m });
  });

  it('says why a frame is not a feed message', () => {
    expect(parseFeedMessage('{nope')).toEqual({ ok: false, error: 'not JSON' });
    const r = parseFeedMessage({ type: 'gossip' });
    expect(r.ok).toBe(false);
    const s = parseFeedMessage({ type: 'status', state: 'unavailable', timestamp: ISO });
    expect(s).toMatchObject({ ok: false, error: expect.stringContaining('reason') });
  });

  it('accepts a whole-feed status (no callSid)', () => {
    const m = statusMessage({ state: 'unavailable', reason: 'assist bus unavailable', at: AT });
    expect(m).not.toHaveProperty('callSid');
    expect(parseFeedMessage(JSON.stringify(m)).ok).toBe(true);
  });
});
