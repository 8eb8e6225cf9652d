import { describe, expect, it } from 'vitest';
import { knowledgeTerms } from '../../src/knowledge/terms.js';

describe('knowledgeTerms', () => {
  it('keeps titles and each part of a heading path whole, in recognizer spelling', () => {
    const terms = knowledgeTerms({
      titles: ['Water Heaters'],
      headings: ['Frequently asked questions › Do you charge for estimates?'],
      texts: [],
    });
    expect(terms).toEqual(['water heaters', 'frequently asked questions', 'do you charge for estimates']);
  });

  it('adds content words that recur in the text, most frequent first, without function words', () => {
    const terms = knowledgeTerms({
      titles: [],
      headings: [],
      texts: [
        'A sump pump keeps the basement dry.',
        'Our sump pump service includes the pump and a basement check.',
      ],
    });
    expect(terms).toEqual(['pump', 'basement', 'sump']);
  });

  it('drops words seen once, and stops at the word budget', () => {
    const texts = ['alpha alpha beta beta gamma gamma delta'];
    expect(knowledgeTerms({ titles: [], headings: [], texts }, 2)).toEqual(['alpha', 'beta']);
  });
});
