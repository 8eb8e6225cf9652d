import { describe, expect, it } from 'vitest';
import { SpeechHandle, heardTextAt } from '../../src/voice/speech-handle.js';

describe('SpeechHandle', () => {
  it('settles as played with its whole text', async () => {
    const h = new SpeechHandle();
    h.addSegment('Hello there.', 0, 1000);
    h.addSegment('How can I help?', 1000, 2000);
    h.markPlayed();
    await expect(h.done).resolves.toEqual({
      interrupted: false,
      text: 'Hello there. How can I help?',
      durationMs: 2000,
    });
  });

  it('keeps only what was heard when interrupted, and aborts its signal', async () => {
    const h = new SpeechHandle();
    h.addSegment('We are open Monday to Friday.', 0, 2000);
    h.addSegment('On Saturday we open at nine.', 2000, 4000);
    h.markInterrupted(3000);
    expect(h.abort.signal.aborted).toBe(true);
    const o = await h.done;
    expect(o.interrupted && o.heardText).toBe('We are open Monday to Friday. On Saturday we');
  });

  it('settles once: a late played does not overwrite an interruption', async () => {
    const h = new SpeechHandle();
    h.addSegment('One two three four.', 0, 1000);
    h.markInterrupted(500);
    h.markPlayed();
    expect((await h.done).interrupted).toBe(true);
  });

  it('hears nothing of a segment that had not started', () => {
    expect(heardTextAt([{ text: 'a b c', start: 100, end: 200 }], 50)).toBe('');
  });
});
