import { parseE164, type E164 } from '../../ids.js';
import { tokens } from '../text.js';
import { spokenDigits } from './numbers.js';

/**
 * A callback number from speech or keypad digits. Numbers without a country code are taken as
 * North American (10 digits, or 11 starting with 1), which is what a Twilio US number receives;
 * a leading "+" or "plus" keeps an international number as given.
 */
export function extractPhone(text: string): E164 | undefined {
  const plus = /^\s*(\+|plus\b)/i.test(text) || /\bplus\b/i.test(text);
  // Split "312-555-0199" into its groups before tokenising drops the hyphens.
  const digits = spokenDigits(tokens(text.replace(/(\d)[-.)(](?=\d)/g, '$1 ')), { homophones: true });
  return phoneFromDigits(digits, plus);
}

export function phoneFromDigits(digits: string, international = false): E164 | undefined {
  const d = digits.replace(/\D/g, '');
  if (international) return parseE164(`+${d}`);
  if (d.length === 10 && /^[2-9]/.test(d)) return parseE164(`+1${d}`);
  if (d.length === 11 && d.startsWith('1')) return parseE164(`+${d}`);
  if (d.length > 11 && d.length <= 15 && !d.startsWith('1')) return parseE164(`+${d}`);
  return undefined;
}

/** "+13125550199" -> "312-555-0199" (North American), else the E.164 form. */
export function formatPhone(n: E164): string {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(n);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : n;
}

/** The last four digits, spaced so they are read one by one: "0 0 0 6". */
export function lastFour(n: E164): string {
  return n.slice(-4).split('').join(' ');
}
