/** The spelling moment: letters one by one ("S M I T H"), as after "could you spell that?". */

const LETTERS = 'abcdefghijklmnopqrstuvwxyz'.split('');

export function spellingPhrases(): string[] {
  const out: string[] = [];
  // Every letter after every other, so any spelling is reachable.
  for (const a of LETTERS) for (const b of LETTERS) out.push(`${a} ${b}`);
  for (const a of LETTERS) out.push(`${a} as in`, `double ${a}`);
  out.push('s m i t h', 'j o h n', 'that is spelled', "it's spelled", 'capital', 'dash', 'space');
  return out;
}
