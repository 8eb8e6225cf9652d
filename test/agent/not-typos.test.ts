import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NOT_TYPOS } from '../../src/agent/not-typos.js';
import { DICT, confusableRealWords, dictionaryWords } from '../../scripts/gen-not-typos.js';

describe('real words kept out of fuzzy matching', () => {
  it.skipIf(!existsSync(DICT))(
    'lists every dictionary word the phrase tables would mistake (regenerate: npx tsx scripts/gen-not-typos.ts)',
    () => {
      const missing = [...confusableRealWords(dictionaryWords())].filter((w) => !NOT_TYPOS.has(w));
      expect(missing.slice(0, 20)).toEqual([]);
    },
  );
});
