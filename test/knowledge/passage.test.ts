import { describe, expect, it } from 'vitest';
import { bestPassage } from '../../src/knowledge/passage.js';
import { expandQuery, searchableText } from '../../src/knowledge/query-text.js';

describe('passage to quote', () => {
  const chunk =
    'We have served Chicago since 1998. Our team is licensed and insured.\n\nAfter-hours calls carry a $95 emergency fee. Weekend rates are the same as weekday rates.';

  it('starts at the sentence that best matches the question, quoting the chunk verbatim', () => {
    expect(bestPassage(chunk, 'how much is the emergency fee after hours')).toBe(
      'After-hours calls carry a $95 emergency fee. Weekend rates are the same as weekday rates.',
    );
  });

  it('quotes the whole chunk when the first sentence matches best or nothing matches', () => {
    expect(bestPassage(chunk, 'how long have you served Chicago')).toBe(chunk);
    expect(bestPassage(chunk, 'zebra')).toBe(chunk);
  });
});

describe('searchable text', () => {
  it('drops spoken fillers but keeps the words that carry the question', () => {
    expect(searchableText('Um, yeah, I was wondering if you guys do weekend appointments?')).toBe(
      'i was if you do weekend appointments',
    );
    expect(searchableText('uh okay yeah')).toBe('');
    expect(searchableText("what's your cancellation policy")).toBe('your cancellation policy');
  });

  it('adds the words owners write for what callers say, for ranking', () => {
    expect(expandQuery('how much for a crown')).toBe('how much for a crown price prices fee cost');
    expect(expandQuery('do you fix leaks')).toBe('do you fix leaks');
  });
});
