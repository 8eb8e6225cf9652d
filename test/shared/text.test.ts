import { describe, expect, it } from 'vitest';
import { SentenceSplitter, splitSentences, storableText } from '../../src/shared/index.js';

describe('splitSentences', () => {
  it.each<[string, string[]]>([
    ['Hello. How are you?', ['Hello.', 'How are you?']],
    ['Wow! Really?! Yes.', ['Wow!', 'Really?!', 'Yes.']],
    ['Dr. Smith will see you now.', ['Dr. Smith will see you now.']],
    ['Mr. and Mrs. Jones called. Ms. Lee too.', ['Mr. and Mrs. Jones called.', 'Ms. Lee too.']],
    ['We are on Main St. Call us.', ['We are on Main St.', 'Call us.']],
    ['He moved to St. Louis last year.', ['He moved to St. Louis last year.']],
    ['We are on Main St. near the park.', ['We are on Main St. near the park.']],
    ['We open at 9 a.m. Call us then.', ['We open at 9 a.m.', 'Call us then.']],
    ['We open at 9 a.m. and close at 5 p.m. today.', ['We open at 9 a.m. and close at 5 p.m. today.']],
    ['Come at 9 a.m. Tuesday.', ['Come at 9 a.m. Tuesday.']],
    ['Meet at 5 p.m. Eastern. Bye.', ['Meet at 5 p.m. Eastern.', 'Bye.']],
    ['The rate is 3.5 percent. That is low.', ['The rate is 3.5 percent.', 'That is low.']],
    ['It is 10:30 now. See you.', ['It is 10:30 now.', 'See you.']],
    ['It costs $120.50. Okay?', ['It costs $120.50.', 'Okay?']],
    ['Visit acme.com today. Thanks.', ['Visit acme.com today.', 'Thanks.']],
    ['She said "yes." Then she left.', ['She said "yes."', 'Then she left.']],
    ['(That is fine.) Next.', ['(That is fine.)', 'Next.']],
    ['J. R. Smith called.', ['J. R. Smith called.']],
    ['Pipes, drains, e.g. sinks and tubs. Done.', ['Pipes, drains, e.g. sinks and tubs.', 'Done.']],
    ['Call ext. 204 please.', ['Call ext. 204 please.']],
    ['Ask for No. 5 at the desk. No. I cannot.', ['Ask for No. 5 at the desk.', 'No.', 'I cannot.']],
    ['Acme Inc. is here. We help.', ['Acme Inc. is here.', 'We help.']],
    ['Call Jan. 5 or later.', ['Call Jan. 5 or later.']],
    ['Hello… are you there? Hmm... Okay.', ['Hello… are you there?', 'Hmm...', 'Okay.']],
    ['Our hours:\n1. Monday\n2. Tuesday', ['Our hours:', '1. Monday', '2. Tuesday']],
    ['First line\n\nSecond line', ['First line', 'Second line']],
    ['No terminator at the end', ['No terminator at the end']],
    ['  Spaces   around.   ', ['Spaces   around.']],
    ['... — !!', []],
    ['', []],
  ])('%j', (text, expected) => {
    expect(splitSentences(text)).toEqual(expected);
  });

  it('cuts an over-long sentence at clause marks, keeping every piece within the limit', () => {
    const text =
      'We fix leaks, clogs, water heaters, sump pumps, gas lines and frozen pipes, and we can come out ' +
      'today if you need us, or tomorrow morning if that suits you better.';
    const pieces = splitSentences(text, { maxChars: 60 });
    expect(pieces.length).toBeGreaterThan(2);
    for (const p of pieces) expect(p.length).toBeLessThanOrEqual(60);
    expect(pieces.join(' ')).toBe(text);
    expect(pieces[0]).toMatch(/,$/);
  });

  it('cuts a long sentence without clause marks at a space', () => {
    const text = 'word '.repeat(30).trim() + '.';
    const pieces = splitSentences(text, { maxChars: 40 });
    for (const p of pieces) expect(p.length).toBeLessThanOrEqual(40);
    expect(pieces.join(' ')).toBe(text);
  });
});

/** Feeds text as LLM-like deltas and records what comes out after each one. */
function stream(deltas: string[]): { sentences: string[]; emittedAfter: number[] } {
  const splitter = new SentenceSplitter();
  const sentences: string[] = [];
  const emittedAfter: number[] = [];
  deltas.forEach((delta, index) => {
    for (const s of splitter.push(delta)) {
      sentences.push(s);
      emittedAfter.push(index);
    }
  });
  for (const s of splitter.flush()) {
    sentences.push(s);
    emittedAfter.push(deltas.length);
  }
  return { sentences, emittedAfter };
}

const tokens = (text: string): string[] => text.match(/\s*\S+/g) ?? [];

describe('SentenceSplitter', () => {
  const reply =
    'Sure! Dr. Smith is free at 10:30 a.m. on Tuesday. The visit costs $120.50, which is 3.5 percent ' +
    'more than last year. Our office is on Main St. Near the park. Shall I book it?';

  it('gives the same sentences as splitSentences when fed token by token', () => {
    expect(stream(tokens(reply)).sentences).toEqual(splitSentences(reply));
  });

  it('gives the same sentences when fed one character at a time', () => {
    expect(stream([...reply]).sentences).toEqual(splitSentences(reply));
  });

  it('emits a sentence as soon as the space after its full stop arrives', () => {
    const { sentences, emittedAfter } = stream(['Thanks for', ' calling.', ' How', ' can I help?']);
    expect(sentences).toEqual(['Thanks for calling.', 'How can I help?']);
    expect(emittedAfter[0]).toBe(2); // with " How", not at the end of the stream
  });

  it('emits "!" and "?" sentences when the following space arrives', () => {
    const splitter = new SentenceSplitter();
    expect(splitter.push('Great!')).toEqual([]);
    expect(splitter.push(' ')).toEqual(['Great!']);
    expect(splitter.push('Really?')).toEqual([]);
    expect(splitter.push(' Y')).toEqual(['Really?']);
  });

  it('holds "3." until the next delta shows it is 3.5, not a sentence end', () => {
    const splitter = new SentenceSplitter();
    expect(splitter.push('The rate is 3.')).toEqual([]);
    expect(splitter.push('5 percent. ')).toEqual(['The rate is 3.5 percent.']);
  });

  it('holds "a.m." until the next word shows whether the sentence goes on', () => {
    const splitter = new SentenceSplitter();
    expect(splitter.push('Come at 9 a.m. ')).toEqual([]);
    expect(splitter.push('Tues')).toEqual([]);
    expect(splitter.push('day works. ')).toEqual(['Come at 9 a.m. Tuesday works.']);
    expect(splitter.push('Open at 9 a.m. ')).toEqual([]);
    expect(splitter.push('Call ')).toEqual(['Open at 9 a.m.']);
  });

  it('does not end a sentence after a title: "Dr. Smith"', () => {
    const splitter = new SentenceSplitter();
    expect(splitter.push('Ask Dr. ')).toEqual([]);
    expect(splitter.push('Smith today. ')).toEqual(['Ask Dr. Smith today.']);
  });

  it('emits on a newline at once', () => {
    const splitter = new SentenceSplitter();
    expect(splitter.push('Our hours\n')).toEqual(['Our hours']);
    expect(splitter.pending()).toBe('');
  });

  it('speaks complete clauses of a sentence that runs past the limit before it ends', () => {
    const splitter = new SentenceSplitter({ maxChars: 50 });
    const out: string[] = [];
    for (const t of tokens('We fix leaks, clogs, water heaters, sump pumps, gas lines and frozen pipes'))
      out.push(...splitter.push(t));
    expect(out.length).toBeGreaterThan(0);
    for (const s of out) expect(s.length).toBeLessThanOrEqual(50);
    out.push(...splitter.flush());
    expect(out.join(' ')).toBe('We fix leaks, clogs, water heaters, sump pumps, gas lines and frozen pipes');
  });

  it('flush returns the unterminated rest and resets', () => {
    const splitter = new SentenceSplitter();
    splitter.push('One more thing');
    expect(splitter.flush()).toEqual(['One more thing']);
    expect(splitter.flush()).toEqual([]);
    expect(splitter.push('Next. ')).toEqual(['Next.']);
  });
});

describe('storableText', () => {
  it('drops NULs and replaces lone surrogates, keeping every whole character', () => {
    expect(storableText('a\u0000b')).toBe('ab');
    expect(storableText('x\ud800y\udc00z')).toBe('x\uFFFDy\uFFFDz');
    expect(storableText('pipe 🚰 burst é')).toBe('pipe 🚰 burst é');
  });
});
