import { describe, expect, it } from 'vitest';
import { detectEmergency, weighEmergency } from '../../src/agent/emergency.js';
import { EMERGENCY_CASES, type EmergencyCase } from './fixtures/emergency-cases.js';
import { EMERGENCY_HOLDOUT } from './fixtures/emergency-holdout.js';

function measure(cases: readonly EmergencyCase[]) {
  let tp = 0;
  let fn = 0;
  let fp = 0;
  let tn = 0;
  const wrong: string[] = [];
  for (const c of cases) {
    const d = detectEmergency(c.text, c.trade);
    if (c.expect) {
      if (d) tp++;
      else {
        fn++;
        wrong.push(`missed: ${c.text}`);
      }
    } else if (d) {
      fp++;
      wrong.push(`false alarm (${d.category}): ${c.text}`);
    } else tn++;
  }
  return {
    recall: tp / (tp + fn),
    falseAlarms: fp / (fp + tn),
    positives: tp + fn,
    negatives: fp + tn,
    wrong,
  };
}

describe('emergency detection', () => {
  it('has several hundred development cases, positive and negative', () => {
    const m = measure(EMERGENCY_CASES);
    expect(m.positives).toBeGreaterThanOrEqual(200);
    expect(m.negatives).toBeGreaterThanOrEqual(150);
  });

  it('meets recall >= 98% with <= 2% false alarms on the development set', () => {
    const m = measure(EMERGENCY_CASES);
    expect(m.wrong).toEqual([]);
    expect(m.recall).toBeGreaterThanOrEqual(0.98);
    expect(m.falseAlarms).toBeLessThanOrEqual(0.02);
  });

  it('meets the same targets on the held-out set', () => {
    const m = measure(EMERGENCY_HOLDOUT);
    expect(m.recall).toBeGreaterThanOrEqual(0.98);
    expect(m.falseAlarms).toBeLessThanOrEqual(0.02);
  });

  it.each([
    'I want to prevent flooding',
    "what's the price of fixing a pipe that burst last year",
    'do you do gas fitting',
    "it's not an emergency",
    'no flooding, just a slow drain',
    "there's no flooding",
    'I do not smell gas',
  ])('does not alarm on %j', (text) => {
    expect(detectEmergency(text, 'plumbing')).toBeUndefined();
  });

  it.each([
    ['my basement is flooding', 'plumbing', 'flooding'],
    ['no, the basement is flooding', 'plumbing', 'flooding'],
    ['I have no water', 'plumbing', 'no-water'],
    ["water won't stop, it's flooding", 'plumbing', 'flooding'],
    ['I smell gas', 'plumbing', 'gas'],
    ['no heat and it is freezing', 'hvac', 'no-heat'],
    ["it's not an emergency but I smell gas", 'hvac', 'gas'],
    ['my jaw is swollen', 'dental', 'swelling'],
  ] as const)('raises %j for a %s business as %s', (text, trade, category) => {
    expect(detectEmergency(text, trade)?.category).toBe(category);
  });

  it('leaves another trade’s emergencies alone but never life safety', () => {
    expect(detectEmergency('my basement is flooding', 'dental')).toBeUndefined();
    expect(detectEmergency('I smell gas in the waiting room', 'dental')?.category).toBe('gas');
  });

  it('needs cold weather for no heat', () => {
    expect(detectEmergency('the furnace stopped working', 'hvac')).toBeUndefined();
    expect(detectEmergency('the furnace stopped working and it is ten degrees', 'hvac')?.category).toBe(
      'no-heat',
    );
  });

  it('does not take a real word for a misspelt trigger, but forgives a typo', () => {
    expect(detectEmergency('the floor by the toilet is soft', 'plumbing')).toBeUndefined();
    expect(detectEmergency('my basment is flodding', 'plumbing')?.category).toBe('flooding');
  });
});

describe('emergency evidence: the best reading and the recognizer’s other readings', () => {
  const strength = (
    text: string,
    more: { alternatives?: string[]; confidence?: number } = {},
    trade = 'plumbing' as const,
  ) => weighEmergency({ text, ...more }, trade)?.strength;

  it.each([
    'water is pouring through the ceiling',
    'I smell gas in the kitchen',
    'a pipe burst in the basement',
    'help my basement is flooding',
  ])('a clear emergency phrase in the best reading is strong: %j', (text) => {
    expect(strength(text)).toBe('strong');
  });

  it.each([
    'my pipes are frozen',
    'the pipes froze last night',
    'we have no water at all',
    "there's water inside the walls",
    'there is water coming through the ceiling',
  ])('a calm emergency is still strong: %j', (text) => {
    expect(strength(text)).toBe('strong');
  });

  it('a single ambiguous word is weak: "flush" heard as "flooded"', () => {
    expect(strength('my toilet flooded')).toBe('weak');
    expect(strength('flooding')).toBe('weak');
  });

  it('an emergency only in the other readings is weak', () => {
    expect(
      strength('my basement is full of wood', {
        alternatives: ['my basement is flooding', 'my basement is full of food'],
      }),
    ).toBe('weak');
  });

  it('a clear phrase the recognizer doubts is weak, unless another reading agrees', () => {
    expect(strength('water is pouring through the ceiling', { confidence: 0.2 })).toBe('weak');
    expect(
      strength('water is pouring through the ceiling', {
        confidence: 0.2,
        alternatives: ['water is pouring through the ceilings'],
      }),
    ).toBe('strong');
  });

  it('under a narrowed question, only a phrase with where or "now" around it is strong; the other readings alone are nothing', () => {
    const fire = 'no that is not right at everywhere on to a fire fire fire there';
    expect(strength(fire)).toBe('strong');
    expect(weighEmergency({ text: fire, narrow: true }, 'plumbing')?.strength).toBe('weak');
    expect(
      weighEmergency({ text: 'yes', alternatives: ['my basement is flooding'], narrow: true }, 'plumbing'),
    ).toBeUndefined();
    expect(
      weighEmergency(
        { text: 'my number is one two five five five no water five eight', narrow: true },
        'plumbing',
      )?.strength,
    ).toBe('weak');
    expect(
      weighEmergency({ text: 'actually water is pouring through the ceiling now', narrow: true }, 'plumbing')
        ?.strength,
    ).toBe('strong');
  });

  it('ordinary requests with ordinary other readings are no evidence at all', () => {
    expect(
      weighEmergency(
        { text: 'my kitchen sink is slow to drain', alternatives: ['my kitchen sink is slow to train'] },
        'plumbing',
      ),
    ).toBeUndefined();
    expect(weighEmergency({ text: 'what are your hours' }, 'plumbing')).toBeUndefined();
  });

  it('past, prevention and price questions stay below the line', () => {
    expect(strength('my pipes froze last winter')).toBeUndefined();
    expect(strength('how much to thaw frozen pipes')).not.toBe('strong');
  });
});
