import { describe, expect, it } from 'vitest';
import { labelOf, scoreSentiment, SentimentTracker } from '../../../src/assist/coach/sentiment.js';

describe('scoreSentiment', () => {
  it('scores plainly negative words below zero and positive ones above', () => {
    expect(scoreSentiment('This is terrible, I am so frustrated')).toBeLessThan(-0.5);
    expect(scoreSentiment('Perfect, thank you so much, that is great')).toBeGreaterThan(0.5);
    expect(scoreSentiment('My address is twelve main street')).toBe(0);
  });

  it('flips and damps a word after a negation', () => {
    expect(scoreSentiment('that is not good')).toBeLessThan(0);
    expect(scoreSentiment('not bad at all')).toBeGreaterThan(0);
    expect(Math.abs(scoreSentiment('not bad'))).toBeLessThan(Math.abs(scoreSentiment('bad')));
  });

  it('reads "not happy" as unhappy, and an intensifier as stronger', () => {
    expect(labelOf(scoreSentiment('I am not happy'))).toBe('negative');
    expect(scoreSentiment('I am really upset')).toBeLessThan(scoreSentiment('I am upset'));
  });

  it('stays within -1..1 however many words pile up', () => {
    const s = scoreSentiment('terrible awful horrible worst unacceptable ridiculous furious');
    expect(s).toBeGreaterThanOrEqual(-1);
    expect(s).toBeLessThan(-0.9);
  });
});

describe('SentimentTracker', () => {
  it('has no reading before the first utterance', () => {
    expect(new SentimentTracker().current()).toBeUndefined();
  });

  it('is steady at first, worsening as the customer gets angrier, improving as they calm down', () => {
    const t = new SentimentTracker();
    expect(t.add('Hi, I have a question about my bill').reading).toMatchObject({
      trend: 'steady',
      label: 'neutral',
    });
    expect(t.add('It is still broken and I am annoyed').reading.trend).toBe('worsening');
    const angry = t.add('This is ridiculous, the worst service ever').reading;
    expect(angry).toMatchObject({ trend: 'worsening', label: 'negative' });
    expect(t.add('Okay, thank you, that is really helpful').reading.trend).toBe('improving');
    expect(t.add('Great, perfect, thanks so much').reading.trend).toBe('improving');
  });

  it('smooths: one mild word after a negative run does not make the mood positive', () => {
    const t = new SentimentTracker();
    t.add('This is terrible');
    t.add('I am furious');
    const after = t.add('fine').reading;
    expect(after.label).not.toBe('positive');
    expect(after.score).toBeLessThan(0);
  });
});
