import { describe, expect, it } from 'vitest';
import { toFeedMessages } from '../../../src/assist/feed/feed-messages.js';
import { FeedSender } from '../../../src/assist/feed/feed-sender.js';
import { FakeFeedSocket } from './fake-feed-socket.js';
import { assistEvent, pricingSuggestion } from './fixtures.js';

const interim = toFeedMessages(
  assistEvent({ type: 'assist-transcript', speaker: 'customer', text: 'how mu', final: false, startMs: 0 }),
)[0]!;
const final = toFeedMessages(
  assistEvent({ type: 'assist-transcript', speaker: 'customer', text: 'how much', final: true, startMs: 0 }),
)[0]!;
const suggestion = toFeedMessages(assistEvent(pricingSuggestion()))[0]!;

const limits = { softBufferedBytes: 1000, hardBufferedBytes: 5000 };

describe('FeedSender', () => {
  it('sends everything while the agent keeps up', () => {
    const socket = new FakeFeedSocket();
    const sender = new FeedSender(socket, limits);
    for (const m of [interim, final, suggestion]) expect(sender.send(m)).toBe('sent');
    expect(socket.types()).toEqual(['transcript', 'transcript', 'suggestion']);
  });

  it('drops interim transcripts first when the agent falls behind, and still sends the rest', () => {
    const socket = new FakeFeedSocket();
    const outcomes: string[] = [];
    const sender = new FeedSender(socket, limits, (type, outcome) => outcomes.push(`${type}:${outcome}`));
    socket.bufferedAmount = 2000;
    expect(sender.send(interim)).toBe('dropped');
    expect(sender.send(final)).toBe('sent');
    expect(sender.send(suggestion)).toBe('sent');
    expect(socket.sent).toEqual([final, suggestion]);
    expect(outcomes).toEqual(['transcript:dropped', 'transcript:sent', 'suggestion:sent']);
    expect(socket.closedWith).toBeUndefined();
  });

  it('closes with 1013 when the agent falls far behind', () => {
    const socket = new FakeFeedSocket();
    const sender = new FeedSender(socket, limits);
    socket.bufferedAmount = 6000;
    expect(sender.send(suggestion)).toBe('closed');
    expect(socket.closedWith).toEqual({ code: 1013, reason: 'feed too far behind' });
    expect(socket.sent).toEqual([]);
  });

  it('sends nothing on a socket that is no longer open', () => {
    const socket = new FakeFeedSocket();
    socket.readyState = 2;
    expect(new FeedSender(socket, limits).send(suggestion)).toBe('closed');
    expect(socket.sent).toEqual([]);
  });
});
