import { describe, expect, it } from 'vitest';
import { backoffMs, chatUrl, parseServerMessage } from '../../web/widget/src/protocol.js';

describe('chat widget: finding its server, reading its messages, waiting to reconnect', () => {
  it('chats with the host its script came from, over ws or wss as the script was served', () => {
    expect(chatUrl('http://127.0.0.1:3000/widget.js')).toBe('ws://127.0.0.1:3000/chat');
    expect(chatUrl('https://sb.example/widget.js?v=abc')).toBe('wss://sb.example/chat');
  });

  it('reads the server messages it knows and ignores anything else', () => {
    expect(parseServerMessage('{"type":"reply","text":"Hi"}')).toEqual({ type: 'reply', text: 'Hi' });
    expect(parseServerMessage('{"type":"typing"}')).toEqual({ type: 'typing' });
    expect(parseServerMessage('{"type":"shout"}')).toBeUndefined();
    expect(parseServerMessage('not json')).toBeUndefined();
    expect(parseServerMessage('null')).toBeUndefined();
    expect(parseServerMessage(new ArrayBuffer(2))).toBeUndefined();
  });

  it('waits 1 s, then twice as long each time, up to 30 s, give or take a fifth', () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((n) => backoffMs(n, mid))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
    expect(backoffMs(0, () => 0)).toBe(800);
    expect(backoffMs(0, () => 1)).toBe(1200);
  });
});
