import { describe, expect, it } from 'vitest';
import { SseDecoder, type SseEvent } from '../../../src/providers/llm/sse.js';

const enc = new TextEncoder();

function decodeAll(chunks: readonly (string | Uint8Array)[]): SseEvent[] {
  const d = new SseDecoder();
  const out: SseEvent[] = [];
  for (const c of chunks) out.push(...d.push(typeof c === 'string' ? enc.encode(c) : c));
  out.push(...d.end());
  return out;
}

/** Every split of the text into one-byte chunks must give the same events as the whole. */
function byteByByte(text: string): SseEvent[] {
  const bytes = enc.encode(text);
  return decodeAll(Array.from(bytes, (b) => Uint8Array.of(b)));
}

describe('SseDecoder', () => {
  it('ends events at blank lines with \\n, \\r\\n and \\r line breaks alike', () => {
    for (const nl of ['\n', '\r\n', '\r']) {
      const text = `data: one${nl}${nl}data: two${nl}${nl}`;
      expect(decodeAll([text]).map((e) => e.data)).toEqual(['one', 'two']);
      expect(byteByByte(text).map((e) => e.data)).toEqual(['one', 'two']);
    }
  });

  it('keeps a \\r at the end of a chunk until it knows whether \\n follows', () => {
    const events = decodeAll(['data: a\r', '\n\r', '\ndata: b\r\n\r\n']);
    expect(events.map((e) => e.data)).toEqual(['a', 'b']);
  });

  it('skips comment lines and joins several data lines with \\n', () => {
    const events = decodeAll([': keep-alive\n\ndata: {"a":\n: a comment inside\ndata: 1}\n\n']);
    expect(events).toEqual([{ event: undefined, data: '{"a":\n1}', id: undefined }]);
  });

  it('strips one space after the colon, not more, and reads event and id fields', () => {
    const events = decodeAll(['event: error\nid: 7\ndata:  two spaces\ndata:none\n\n']);
    expect(events).toEqual([{ event: 'error', data: ' two spaces\nnone', id: '7' }]);
  });

  it('does not dispatch an event that has no data lines', () => {
    expect(decodeAll(['event: ping\n\n: only a comment\n\n'])).toEqual([]);
  });

  it('decodes a UTF-8 character split across chunks', () => {
    const bytes = enc.encode('data: café ☕\n\n');
    const events = decodeAll([bytes.slice(0, 10), bytes.slice(10, 13), bytes.slice(13)]);
    expect(events.map((e) => e.data)).toEqual(['café ☕']);
  });

  it('delivers a last event the server did not close with a blank line', () => {
    expect(decodeAll(['data: [DONE]']).map((e) => e.data)).toEqual(['[DONE]']);
    expect(decodeAll(['data: x\n']).map((e) => e.data)).toEqual(['x']);
  });
});
