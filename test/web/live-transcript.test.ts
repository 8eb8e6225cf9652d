import { describe, expect, it } from 'vitest';
import { addLine, type SpokenLine } from '../../web/admin/src/live-transcript.js';

const caller = (text: string, atMs: number, final = true): SpokenLine => ({
  speaker: 'caller',
  text,
  final,
  atMs,
});
const agent = (text: string, atMs: number): SpokenLine => ({ speaker: 'agent', text, final: true, atMs });
const texts = (lines: SpokenLine[]) => lines.map((l) => `${l.speaker}:${l.text}${l.final ? '' : '…'}`);

describe("a live call's transcript", () => {
  it('grows line by line in the order the words were spoken', () => {
    const lines = [
      agent('Acme Plumbing.', 0),
      caller('my sink leaks', 2_000),
      agent('I can help.', 4_000),
    ].reduce(addLine, [] as SpokenLine[]);
    expect(texts(lines)).toEqual(['agent:Acme Plumbing.', 'caller:my sink leaks', 'agent:I can help.']);
  });

  it("replaces the caller's interim words as they grow, then with the final ones", () => {
    let lines = addLine([agent('Hello.', 0)], caller('my', 2_000, false));
    lines = addLine(lines, caller('my sink', 2_000, false));
    expect(texts(lines)).toEqual(['agent:Hello.', 'caller:my sink…']);
    // The final words may carry a slightly different start than the speech the interims came from.
    lines = addLine(lines, caller('my sink is leaking', 2_040));
    expect(texts(lines)).toEqual(['agent:Hello.', 'caller:my sink is leaking']);
  });

  it('keeps final words when interim ones of the same speech arrive late', () => {
    const lines = addLine([caller('my sink is leaking', 2_000)], caller('my sink', 2_000, false));
    expect(texts(lines)).toEqual(['caller:my sink is leaking']);
  });

  it('shows a line once when the snapshot and the stream both carry it', () => {
    const snapshot = [agent('Acme Plumbing.', 0), caller('my sink leaks', 2_000)];
    const lines = addLine(snapshot, caller('my sink leaks', 2_000));
    expect(texts(lines)).toEqual(['agent:Acme Plumbing.', 'caller:my sink leaks']);
  });

  it('places a line that arrives late where it was spoken', () => {
    const lines = addLine([agent('Hello.', 0), caller('next question', 9_000)], agent('Sure.', 5_000));
    expect(texts(lines)).toEqual(['agent:Hello.', 'agent:Sure.', 'caller:next question']);
  });

  it('starts a new caller line after a final one instead of overwriting it', () => {
    const lines = addLine([caller('first thing', 1_000)], caller('second', 6_000, false));
    expect(texts(lines)).toEqual(['caller:first thing', 'caller:second…']);
  });

  it('does not change the list it was given', () => {
    const before = [caller('my', 1_000, false)];
    addLine(before, caller('my sink', 1_000));
    expect(texts(before)).toEqual(['caller:my…']);
  });
});
