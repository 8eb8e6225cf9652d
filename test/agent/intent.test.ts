import { describe, expect, it } from 'vitest';
import { classify, isClearYes, isNo, isYes } from '../../src/agent/intent.js';

describe('classify: help', () => {
  it.each(['help', 'help me', 'what can you do', 'what are my options please then'])(
    '"%s" asks what the agent can do',
    (text) => {
      expect(classify(text).intents.has('help')).toBe(true);
    },
  );

  it.each(['i need help with a broken water heater', 'can you help me with my kitchen sink'])(
    '"%s" is a need, not the help menu',
    (text) => {
      expect(classify(text).intents.has('help')).toBe(false);
    },
  );
});

describe('isYes / isNo', () => {
  it.each([
    "No, that's not right",
    'nope, wrong',
    'not quite',
    "that's not it",
    'no',
    'nah',
    'that is not correct',
    "that's wrong",
  ])('"%s" is a no', (text) => {
    const r = classify(text);
    expect(isNo(r)).toBe(true);
    expect(isYes(r)).toBe(false);
  });

  it.each([
    "that's correct",
    "yep that's it",
    'yes',
    'yeah',
    "that's right",
    'correct',
    'uh huh',
    'yes please',
  ])('"%s" is a yes', (text) => {
    const r = classify(text);
    expect(isYes(r)).toBe(true);
    expect(isNo(r)).toBe(false);
  });

  it.each(['not sure', "yeah I'm not sure", 'yup not right', "no that's right"])(
    '"%s" is neither',
    (text) => {
      const r = classify(text);
      expect(isYes(r)).toBe(false);
      expect(isNo(r)).toBe(false);
    },
  );
});

describe('isClearYes', () => {
  it.each(['yes', 'yeah it is', 'yes there is water everywhere', 'uh huh'])('"%s" is a plain yes', (text) => {
    expect(isClearYes(classify(text))).toBe(true);
  });

  it.each(['perfect', 'okay', 'right', 'sure'])('"%s" (a word noise turns into) is not', (text) => {
    expect(isClearYes(classify(text))).toBe(false);
  });
});
