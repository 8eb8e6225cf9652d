import { readFileSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tokenize } from '../../../../src/providers/stt/domain-lm.js';
import {
  ESCAPE_PHRASES,
  FIRST_NAMES,
  LAST_NAMES,
  momentPhrases,
} from '../../../../src/providers/stt/moments/index.js';
import { RECEPTIONIST_PHRASES } from '../../../../src/providers/stt/index.js';
import { debianEnUsModel } from '../../../../src/providers/stt/pocketsphinx-addon.js';
import { EXPECTED_SPEECH } from '../../../../src/shared/index.js';

const NARROW = EXPECTED_SPEECH.filter((m) => m !== 'open');
const wordsOf = (phrases: readonly string[]) => new Set(phrases.flatMap(tokenize));
const said = (phrases: readonly string[], sentence: string) =>
  phrases.some((p) => tokenize(p).join(' ') === tokenize(sentence).join(' '));

describe('moment models', () => {
  it('the open moment is the receptionist model', () => {
    expect(momentPhrases('open')).toEqual(expect.arrayContaining([...RECEPTIONIST_PHRASES]));
  });

  it.each(NARROW)(
    '%s keeps the way out: emergencies, not understood, a person, backchannels, goodbye',
    (m) => {
      const phrases = momentPhrases(m);
      for (const s of [
        'water everywhere',
        'gas',
        'flooding',
        'emergency',
        "i don't know",
        'sorry what',
        'speak to a person',
        'uh-huh',
        'okay',
        'mhm',
        'goodbye',
      ]) {
        expect(said(phrases, s), `${m}: ${s}`).toBe(true);
      }
      expect(phrases).toEqual(expect.arrayContaining([...ESCAPE_PHRASES]));
    },
  );

  it('narrow models are narrow: far fewer words than the open model, and not its questions', () => {
    const open = wordsOf(momentPhrases('open'));
    for (const m of NARROW) expect(wordsOf(momentPhrases(m)).has('plumber'), m).toBe(false);
    for (const m of ['yes-no', 'phone'] as const) {
      expect(wordsOf(momentPhrases(m)).size, m).toBeLessThan(open.size / 2);
    }
  });

  it('names: a few hundred common first and last names, in carriers', () => {
    expect(FIRST_NAMES.length).toBeGreaterThanOrEqual(200);
    expect(LAST_NAMES.length).toBeGreaterThanOrEqual(200);
    const words = wordsOf(momentPhrases('name'));
    for (const n of [...FIRST_NAMES, ...LAST_NAMES]) expect(words.has(n), n).toBe(true);
    const phrases = momentPhrases('name');
    expect(phrases.some((p) => p.startsWith('my name is '))).toBe(true);
    expect(phrases.some((p) => p.startsWith('this is '))).toBe(true);
    expect(phrases.some((p) => p.startsWith("it's "))).toBe(true);
  });

  it('phone: every digit may follow every other, with "oh" and "double"', () => {
    const phrases = momentPhrases('phone');
    const digits = ['oh', 'zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
    for (const a of digits) for (const b of digits) expect(said(phrases, `${a} ${b}`)).toBe(true);
    expect(said(phrases, 'double five')).toBe(true);
  });

  it('yes-no: the forms callers use', () => {
    const phrases = momentPhrases('yes-no');
    for (const s of [
      "yeah that's right",
      "that's correct",
      "no that's not right",
      'nope wrong',
      'correct',
      'not quite',
    ]) {
      expect(said(phrases, s), s).toBe(true);
    }
  });

  it('date-time: days, hours and the vague ones', () => {
    const phrases = momentPhrases('date-time');
    for (const s of ['tomorrow at two', 'next tuesday morning', 'as soon as possible']) {
      expect(said(phrases, s), s).toBe(true);
    }
  });

  it('address and spelling: street suffixes, every letter after every other', () => {
    const address = wordsOf(momentPhrases('address'));
    for (const w of ['street', 'avenue', 'road', 'drive', 'main', 'oak'])
      expect(address.has(w), w).toBe(true);
    const spelling = momentPhrases('spelling');
    expect(said(spelling, 'z a')).toBe(true);
    expect(said(spelling, 's m i t h')).toBe(true);
  });

  it.skipIf(!existsSync(debianEnUsModel().dict))('every word of every model can be pronounced', () => {
    const dict = new Set(
      readFileSync(debianEnUsModel().dict, 'utf8')
        .split('\n')
        .map((l) => l.split(/[\s(]/)[0]),
    );
    for (const m of NARROW) {
      const unknown = [...wordsOf(momentPhrases(m))].filter((w) => !dict.has(w));
      expect(unknown, m).toEqual([]);
    }
  });
});
