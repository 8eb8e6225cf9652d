import { describe, expect, it } from 'vitest';
import { classify } from '../../src/agent/intent.js';

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
