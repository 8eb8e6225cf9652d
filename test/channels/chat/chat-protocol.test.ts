import { describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES, parseClientFrame } from '../../../src/channels/chat/chat-protocol.js';

const KEY = `pk_${'a1'.repeat(16)}`;

describe('chat protocol: what the server accepts from a widget', () => {
  it('accepts a hello with a key, and with a resume token', () => {
    expect(parseClientFrame(JSON.stringify({ type: 'hello', key: KEY }))).toEqual({
      ok: true,
      message: { type: 'hello', key: KEY },
    });
    const withResume = parseClientFrame(JSON.stringify({ type: 'hello', key: KEY, resume: 'tok' }));
    expect(withResume.ok && withResume.message).toEqual({ type: 'hello', key: KEY, resume: 'tok' });
  });

  it('accepts a message of 1 to 1000 characters, trimmed', () => {
    const m = parseClientFrame(JSON.stringify({ type: 'message', id: 'm1', text: '  my sink leaks  ' }));
    expect(m.ok && m.message).toEqual({ type: 'message', id: 'm1', text: 'my sink leaks' });
    expect(parseClientFrame(JSON.stringify({ type: 'message', id: 'm1', text: 'x'.repeat(1000) })).ok).toBe(
      true,
    );
  });

  it.each([
    ['not JSON', 'hello there'],
    ['no type', JSON.stringify({ key: KEY })],
    ['an unknown type', JSON.stringify({ type: 'shout', text: 'hi' })],
    ['a key not of the pk_ form', JSON.stringify({ type: 'hello', key: 'sb_secret' })],
    ['an empty message', JSON.stringify({ type: 'message', id: 'm1', text: '   ' })],
    ['a message over 1000 characters', JSON.stringify({ type: 'message', id: 'm1', text: 'x'.repeat(1001) })],
    ['a message without id', JSON.stringify({ type: 'message', text: 'hi' })],
    ['extra fields', JSON.stringify({ type: 'message', id: 'm1', text: 'hi', admin: true })],
    ['a JSON array', '[1,2]'],
  ])('refuses %s with a sentence saying why', (_what, frame) => {
    const r = parseClientFrame(frame);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/\w/);
  });

  it('refuses a frame over the size limit before parsing it', () => {
    const r = parseClientFrame(' '.repeat(MAX_FRAME_BYTES + 1));
    expect(r).toEqual({ ok: false, message: 'That message is too long.' });
  });

  it('reads frames as Buffers and fragment lists as ws hands them over', () => {
    const json = JSON.stringify({ type: 'hello', key: KEY });
    expect(parseClientFrame(Buffer.from(json)).ok).toBe(true);
    expect(parseClientFrame([Buffer.from(json.slice(0, 5)), Buffer.from(json.slice(5))]).ok).toBe(true);
  });
});
