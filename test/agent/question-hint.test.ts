import { describe, expect, it } from 'vitest';
import { expectedAfter } from '../../src/agent/question-hint.js';

describe('expectedAfter: the hint for a freely worded question', () => {
  it.each([
    ['Sure. Can I get your name, please?', 'name'],
    ["Thanks. What's the best number to reach you?", 'phone'],
    ['What is the address of the property?', 'address'],
    ['What day and time would suit you?', 'date-time'],
    ['I have 312-555-0199. Is that right?', 'yes-no'],
    ['Shall I go ahead and book that?', 'yes-no'],
    ['Could you spell your last name for me?', 'spelling'],
    ['How can I help you today?', 'open'],
    ["We're open until 6 today.", 'open'],
  ] as const)('%j -> %s', (reply, hint) => {
    expect(expectedAfter(reply)).toBe(hint);
  });
});
