/**
 * Spoken numbers as recognisers write them ("five five five", "oh", "double two", "twenty three",
 * "eight hundred") turned into digits, for phone numbers, addresses and times.
 */

const UNITS: Record<string, number> = {
  zero: 0,
  oh: 0,
  o: 0,
  nought: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
};
// Recognisers often hear digits as these homophones.
const HOMOPHONES: Record<string, number> = { won: 1, to: 2, too: 2, for: 4, fore: 4, ate: 8, niner: 9 };
const TEENS: Record<string, number> = {
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
};
const TENS: Record<string, number> = {
  twenty: 20,
  thirty: 30,
  forty: 40,
  fourty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};
const REPEAT: Record<string, number> = { double: 2, triple: 3 };

/** Spoken number words up to ninety, for whoever reads a small number ("forty five degrees"). */
export const NUMBER_WORDS: Readonly<Record<string, number>> = { ...UNITS, ...TEENS, ...TENS };

export interface DigitOptions {
  /** Read "to", "for", "won", "ate" as digits (only where digits are expected, e.g. a phone number). */
  homophones?: boolean;
}

/**
 * All digits spoken in `words`, in order: "five five five one two one two" -> "5551212",
 * "eight hundred" -> "800", "twenty three" -> "23", "double five" -> "55", "312-555" -> "312555".
 * Words that are not numbers are skipped.
 */
export function spokenDigits(words: readonly string[], opts: DigitOptions = {}): string {
  let out = '';
  let repeat = 1;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? '';
    const next = words[i + 1] ?? '';
    if (/^\d+$/.test(w)) {
      out += w.repeat(repeat);
      repeat = 1;
      continue;
    }
    if (REPEAT[w] !== undefined) {
      repeat = REPEAT[w];
      continue;
    }
    let unit = UNITS[w];
    // Only between other digits: "send it to 555" has no 2 in it, "five to five" does.
    if (unit === undefined && opts.homophones && isDigitWord(words[i - 1]) && isDigitWord(next))
      unit = HOMOPHONES[w];
    // "o" and "oh" are only zero among other digits ("oh, it's 555" is not a zero).
    if ((w === 'oh' || w === 'o') && !isDigitWord(words[i - 1]) && !isDigitWord(next)) unit = undefined;
    if (unit !== undefined) {
      if (next === 'hundred') {
        out += String(unit * 100).repeat(repeat);
        i++;
      } else if (next === 'thousand') {
        out += String(unit * 1000).repeat(repeat);
        i++;
      } else out += String(unit).repeat(repeat);
      repeat = 1;
      continue;
    }
    if (TEENS[w] !== undefined) {
      out += String(TEENS[w]);
      repeat = 1;
      continue;
    }
    if (TENS[w] !== undefined) {
      const u = UNITS[next];
      if (u !== undefined && u > 0 && next !== 'oh' && next !== 'o') {
        out += String((TENS[w] ?? 0) + u);
        i++;
      } else out += String(TENS[w]);
      repeat = 1;
      continue;
    }
    repeat = 1;
  }
  return out;
}

function isDigitWord(w: string | undefined): boolean {
  return w !== undefined && (/^\d+$/.test(w) || (UNITS[w] !== undefined && w !== 'o' && w !== 'oh'));
}

export function isNumberWord(w: string): boolean {
  return (
    /^\d+$/.test(w) ||
    UNITS[w] !== undefined ||
    TEENS[w] !== undefined ||
    TENS[w] !== undefined ||
    REPEAT[w] !== undefined ||
    w === 'hundred' ||
    w === 'thousand'
  );
}

/**
 * A small cardinal in words or digits ("three", "twenty five", "10") as a number, or undefined.
 * Reads at most two words starting at `i`; returns how many it used.
 */
export function readCardinal(
  words: readonly string[],
  i: number,
): { value: number; used: number } | undefined {
  const w = words[i] ?? '';
  if (/^\d+$/.test(w)) return { value: Number(w), used: 1 };
  if (UNITS[w] !== undefined && w !== 'o' && w !== 'oh') return { value: UNITS[w] ?? 0, used: 1 };
  if (TEENS[w] !== undefined) return { value: TEENS[w] ?? 0, used: 1 };
  if (TENS[w] !== undefined) {
    const u = UNITS[words[i + 1] ?? ''];
    if (u !== undefined && u > 0 && words[i + 1] !== 'oh' && words[i + 1] !== 'o')
      return { value: (TENS[w] ?? 0) + u, used: 2 };
    return { value: TENS[w] ?? 0, used: 1 };
  }
  return undefined;
}
