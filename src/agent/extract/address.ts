import { tokens } from '../text.js';
import { isNumberWord, spokenDigits } from './numbers.js';

/**
 * A street address. With `asked`, any short answer after the lead-in counts ("42 oak avenue
 * apartment 3"); unasked, only a house number followed by a street word does.
 */

const SUFFIXES = new Set([
  'street',
  'st',
  'avenue',
  'ave',
  'road',
  'rd',
  'drive',
  'dr',
  'lane',
  'ln',
  'boulevard',
  'blvd',
  'court',
  'ct',
  'way',
  'place',
  'pl',
  'circle',
  'terrace',
  'parkway',
  'pkwy',
  'highway',
  'hwy',
  'trail',
  'crescent',
  'square',
  'row',
  'alley',
  'loop',
  'pike',
]);
const LEAD_INS = [
  'the address is',
  'my address is',
  'address is',
  'the address',
  'it is at',
  'it is',
  'its',
  'i am at',
  'we are at',
  'i live at',
  'we live at',
  'i live on',
  'the job is at',
  'the house is at',
  'it would be',
  'that would be',
  'sure',
  'yeah',
  'yes',
  'ok',
  'okay',
  'um',
  'uh',
  'so',
  'at',
];
const CAPS = new Set(['nw', 'ne', 'sw', 'se']);
const ENDS = new Set([
  'and',
  'but',
  'because',
  'so',
  'i',
  'we',
  'my',
  'the',
  'it',
  'its',
  'please',
  'thanks',
  'if',
]);

/** "apartment four" -> "apartment 4": runs of number words become digits. */
function digitsInside(words: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length;) {
    let j = i;
    while (j < words.length && isNumberWord(words[j] ?? '')) j++;
    if (j > i) {
      out.push(spokenDigits(words.slice(i, j)));
      i = j;
    } else out.push(words[i++] ?? '');
  }
  return out;
}

export function extractAddress(text: string, opts: { asked: boolean }): string | undefined {
  let words = tokens(text.replace(/#/g, ' number '));
  // Strip any number of lead-ins ("yeah, it's at ...").
  for (let changed = true; changed;) {
    changed = false;
    for (const lead of LEAD_INS) {
      const lw = lead.split(' ');
      if (lw.every((w, k) => words[k] === w)) {
        words = words.slice(lw.length);
        changed = true;
      }
    }
  }
  if (words.length === 0) return undefined;
  // House number: leading number words become digits ("one two three main" -> "123 main").
  let n = 0;
  while (n < words.length && isNumberWord(words[n] ?? '')) n++;
  const house = n > 0 ? spokenDigits(words.slice(0, n)) : '';
  let rest = words.slice(n);
  const suffixAt = rest.findIndex((w) => SUFFIXES.has(w));
  const hasSuffix = suffixAt >= 0;
  if (hasSuffix) {
    // After the street word only a unit or a town may follow, not the rest of the sentence.
    const stop = rest.findIndex((w, k) => k > suffixAt && ENDS.has(w));
    if (stop > 0) rest = rest.slice(0, stop);
  }
  rest = digitsInside(rest);
  if (!opts.asked && !(house && hasSuffix)) return undefined;
  if (rest.length === 0) return undefined;
  if (opts.asked && !house && !hasSuffix && rest.length < 2) return undefined;
  const street = rest
    .map((w) => (CAPS.has(w) ? w.toUpperCase() : w.charAt(0).toUpperCase() + w.slice(1)))
    .join(' ');
  return house ? `${house} ${street}` : street;
}
