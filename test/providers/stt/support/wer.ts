/** Lower-case words without punctuation, as a recognizer writes them. */
export function words(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9' ]+/g, ' ')
    .split(/\s+/)
    .filter((w) => w.length > 0);
}

/** Word-level edit distance between a reference and a hypothesis (substitutions + deletions + insertions). */
export function wordErrors(reference: string, hypothesis: string): number {
  const ref = words(reference);
  const hyp = words(hypothesis);
  let prev = Array.from({ length: hyp.length + 1 }, (_, j) => j);
  for (let i = 1; i <= ref.length; i++) {
    const row = [i];
    for (let j = 1; j <= hyp.length; j++) {
      const same = ref[i - 1] === hyp[j - 1] ? 0 : 1;
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + same);
    }
    prev = row;
  }
  return prev[hyp.length]!;
}

/** Word error rate over a set of utterances: total edits over total reference words. */
export function wordErrorRate(pairs: ReadonlyArray<{ reference: string; hypothesis: string }>): number {
  let errors = 0;
  let total = 0;
  for (const { reference, hypothesis } of pairs) {
    errors += wordErrors(reference, hypothesis);
    total += words(reference).length;
  }
  return total === 0 ? 0 : errors / total;
}
