import { z } from 'zod';

/**
 * Parameters every Twilio webhook shares, as we store them. A signed request is Twilio's word,
 * but an id with control characters or a kilobyte of it would be written into the calls table
 * as given: such a request is refused (400) instead.
 */

/** Twilio's CallSids are CA and 32 hex digits; tests and older integrations use shorter ones. */
export const CallSidParam = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a Twilio CallSid (CA and 32 hex digits)');

/** A caller or called address: E.164, client:..., sip:..., whatsapp:+...; printable and bounded. */
export const AddressParam = z
  .string()
  .max(256)
  .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters');
