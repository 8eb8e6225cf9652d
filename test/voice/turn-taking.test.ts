import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TURN_TAKING,
  hasRealWords,
  isBackchannel,
  looksUnfinished,
  turnTakingFor,
} from '../../src/voice/turn-taking.js';

const words = DEFAULT_TURN_TAKING.backchannelWords;

describe('isBackchannel', () => {
  it.each([
    'uh-huh',
    'uh huh',
    'okay',
    'Okay.',
    'mm-hmm, yeah',
    'mm hmm yeah',
    'right',
    'yeah',
    'okay okay okay',
    'oh okay',
    'um',
  ])('"%s" only acknowledges', (text) => expect(isBackchannel(text, words)).toBe(true));

  it.each([
    'wait, I have a question',
    "stop, that's wrong",
    'no no, my number is different',
    'okay so how much',
    'yes',
  ])('"%s" says something', (text) => expect(isBackchannel(text, words)).toBe(false));

  it('nothing at all is not a backchannel (it is nothing)', () => {
    expect(isBackchannel('', words)).toBe(false);
    expect(isBackchannel(' , ', words)).toBe(false);
  });

  it("follows a business's own list", () => {
    expect(isBackchannel('gotcha', words)).toBe(false);
    expect(isBackchannel('gotcha', [...words, 'gotcha'])).toBe(true);
  });
});

describe('hasRealWords', () => {
  it('no words, fillers and acknowledgements are not real words', () => {
    for (const t of ['', 'uh', 'um uh', 'uh-huh', 'mm-hmm yeah']) expect(hasRealWords(t, words)).toBe(false);
  });
  it("a recognizer's words for a short sound alone are not real words", () => {
    for (const t of ['you', 'do you', 'the', 'are', 'am am']) expect(hasRealWords(t, words)).toBe(false);
  });
  it('one real word among acknowledgements is', () => {
    for (const t of ['okay so', 'uh wait', 'no', 'right but']) expect(hasRealWords(t, words)).toBe(true);
  });
});

describe('turn-taking settings', () => {
  it('speech with no words pauses the agent after 800 ms by default; a business may change it', () => {
    expect(DEFAULT_TURN_TAKING.unconfirmedInterruptMs).toBe(800);
    expect(turnTakingFor({ unconfirmedInterruptMs: 1200 }).unconfirmedInterruptMs).toBe(1200);
    expect(turnTakingFor({ unconfirmedInterruptMs: 10 }).unconfirmedInterruptMs).toBe(800);
  });

  it('looksUnfinished still holds a phrase that plainly goes on', () => {
    expect(looksUnfinished('my number is')).toBe(true);
    expect(looksUnfinished('my number is five')).toBe(false);
  });
});
