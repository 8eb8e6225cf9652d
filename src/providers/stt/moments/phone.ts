/**
 * The phone moment: after "what's the best number to reach you?". Digits read one by one in
 * phone groupings (3-3-4), "oh" for zero, "double" and "triple", and the carriers around them.
 */

const DIGITS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const SPOKEN = ['oh', ...DIGITS];
const CARRIERS = ['my number is', "it's", 'it is', 'the number is', 'you can reach me at', 'call me at'];

/** A digit group read from a seed: every digit after every other across the set. */
const group = (seed: number, length: number): string =>
  Array.from({ length }, (_, i) => SPOKEN[(seed * 7 + i * 3 + seed * i) % SPOKEN.length]).join(' ');

export function phonePhrases(): string[] {
  const out: string[] = [];
  // Every pair of digits, so any digit may follow any other.
  for (const a of SPOKEN) for (const b of SPOKEN) out.push(`${a} ${b}`);
  for (let s = 0; s < 40; s++) {
    const whole = `${group(s, 3)} ${group(s + 1, 3)} ${group(s + 2, 4)}`;
    out.push(whole, `${CARRIERS[s % CARRIERS.length]} ${whole}`);
  }
  for (const d of DIGITS) out.push(`double ${d}`, `triple ${d}`, `${d} double ${d}`, `area code ${d}`);
  // Toll-free only: other "hundreds" took the place of a last "six" or "nine".
  out.push('one eight hundred', 'eight hundred number');
  out.push('area code', 'the area code is', 'this number', 'the number i am calling from', 'same number');
  return out;
}
