import { parsePhoneNumberFromString, type PhoneNumber } from 'libphonenumber-js';
import { z } from 'zod';
import type { E164 } from '../../ids.js';

/**
 * Where a business may place calls. A call we place is paid by the account and rings a stranger,
 * so the default is narrow: numbers in the business's own country (the country of its own number).
 * A business may narrow that further with settings `outbound.allowedPrefixes` (E.164 prefixes such
 * as "+1415"); a prefix can never widen it, so one outside the own country allows nothing.
 */

/** An E.164 prefix: "+" and 1 to 15 digits, the first not 0. */
const prefixSchema = z
  .string()
  .regex(/^\+[1-9]\d{0,14}$/, 'expected an E.164 prefix like "+1415"')
  .describe('E.164 prefix, e.g. +1415');

/** `settings.outbound` of a business, as this file reads it (the settings column is open-ended). */
export const outboundSettingsSchema = z.looseObject({
  allowedPrefixes: z.array(prefixSchema).max(200).optional(),
});
export type OutboundSettings = z.infer<typeof outboundSettingsSchema>;

const settingsWithOutbound = z.looseObject({ outbound: outboundSettingsSchema.optional() });

/** A number a person typed, normalised; undefined when it cannot be a phone number. */
export interface Destination {
  number: E164;
  parsed: PhoneNumber;
}

/**
 * Parses what was given as a number to call: international form only (a leading "+"; spaces,
 * dots, dashes and brackets allowed, as people write numbers), and a possible number for its
 * country's length rules. `isValid` is not required: Twilio's test numbers and new ranges are not
 * all in libphonenumber's tables.
 */
export function parseDestination(input: string): Destination | undefined {
  const text = input.trim();
  if (!text.startsWith('+') || text.length > 32) return undefined;
  const parsed = parsePhoneNumberFromString(text);
  if (!parsed || !parsed.isPossible()) return undefined;
  return { number: parsed.number as E164, parsed };
}

/** "+1 555-123-4567": the number as a person reads it (country code, then the national groups). */
export function displayNumber(d: Destination): string {
  const [code, ...groups] = d.parsed.formatInternational().split(' ');
  return groups.length ? `${code} ${groups.join('-')}` : (code ?? d.number);
}

export type DestinationCheck = { ok: true } | { ok: false; message: string };

/**
 * Whether `to` is a destination the business may call. `ownNumber` decides the own country: the
 * same country calling code, and the same country when libphonenumber can tell both (within +1,
 * Jamaica is not the United States). A number whose country it cannot tell but whose calling code
 * is ours counts as ours.
 */
export function checkDestination(
  to: Destination,
  ownNumber: string | undefined,
  settings: unknown,
): DestinationCheck {
  const own = ownNumber ? parsePhoneNumberFromString(ownNumber) : undefined;
  if (!own) return { ok: false, message: 'The business has no number of its own to tell its country by.' };
  const sameCode = to.parsed.countryCallingCode === own.countryCallingCode;
  const sameCountry = !to.parsed.country || !own.country || to.parsed.country === own.country;
  const where = own.country ?? `+${own.countryCallingCode}`;
  if (!sameCode || !sameCountry)
    return { ok: false, message: `Calls may go to numbers in the business's own country (${where}) only.` };

  const s = settingsWithOutbound.safeParse(settings ?? {});
  if (!s.success) {
    // Fail closed: the owner meant to narrow the list, and a typo must not open it.
    const issue = s.error.issues[0];
    const path = issue ? issue.path.join('.') : 'outbound';
    return {
      ok: false,
      message: `The business's outbound settings are not valid (${path}); no call is placed.`,
    };
  }
  const prefixes = s.data.outbound?.allowedPrefixes;
  if (prefixes === undefined) return { ok: true };
  if (prefixes.some((p) => to.number.startsWith(p))) return { ok: true };
  return {
    ok: false,
    message: prefixes.length
      ? `The business allows calls to numbers starting ${prefixes.join(', ')} only.`
      : 'The business allows no outbound calls.',
  };
}
