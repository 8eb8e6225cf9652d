import { describe, expect, it } from 'vitest';
import { bargeIn, isNothingToAnswer } from '../../src/voice/barge-in.js';
import { DEFAULT_TURN_TAKING } from '../../src/voice/turn-taking.js';

const cfg = DEFAULT_TURN_TAKING;

describe('bargeIn (caller speech over the agent)', () => {
  it('nothing happens before the minimum speech, whatever the words', () => {
    expect(bargeIn(200, 'stop', cfg)).toBe('wait');
  });

  it('a real word stops the agent at once past the minimum', () => {
    expect(bargeIn(300, 'wait', cfg)).toBe('words');
    expect(bargeIn(320, 'okay so', cfg)).toBe('words');
  });

  it('no words yet, or only acknowledgements, never stop the agent before unconfirmedInterruptMs', () => {
    for (const partial of ['', 'uh', 'uh huh', 'mm-hmm yeah', 'okay'])
      expect(bargeIn(cfg.unconfirmedInterruptMs - 20, partial, cfg)).toBe('wait');
  });

  it('past unconfirmedInterruptMs with no real word: too long to be a backchannel', () => {
    expect(bargeIn(cfg.unconfirmedInterruptMs, '', cfg)).toBe('too-long');
    expect(bargeIn(cfg.unconfirmedInterruptMs + 400, 'yeah yeah', cfg)).toBe('too-long');
  });
});

describe('isNothingToAnswer', () => {
  it('empty, fillers and backchannels are nothing to answer; real words are', () => {
    expect(isNothingToAnswer('', cfg.backchannelWords)).toBe(true);
    expect(isNothingToAnswer('uh-huh', cfg.backchannelWords)).toBe(true);
    expect(isNothingToAnswer('um', cfg.backchannelWords)).toBe(true);
    expect(isNothingToAnswer('no no my number is different', cfg.backchannelWords)).toBe(false);
  });
});
