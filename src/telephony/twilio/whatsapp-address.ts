import { parseE164, type E164 } from '../../ids.js';

/** WhatsApp addresses and message sizes as Twilio's Messages API takes them (PROTOCOLS.md 4.1, 4.2). */

/** A WhatsApp channel address: whatsapp:+E164. */
export const WHATSAPP_ADDRESS = /^whatsapp:\+[1-9]\d{6,14}$/;

/** Twilio's Body limit, for what we send and what we read. */
export const WHATSAPP_MAX_BODY = 1600;

/** `whatsapp:+E164` from either `whatsapp:+E164` or `+E164`; undefined for anything else. */
export function whatsappAddress(v: string): string | undefined {
  const number = parseE164(v.startsWith('whatsapp:') ? v.slice('whatsapp:'.length) : v);
  return number ? `whatsapp:${number}` : undefined;
}

/** The number behind a WhatsApp address (undefined when it is none). */
export function numberOfAddress(address: string): E164 | undefined {
  return WHATSAPP_ADDRESS.test(address) ? (address.slice('whatsapp:'.length) as E164) : undefined;
}

/** `text` cut to `max` characters, an ellipsis marking the cut. */
export function cutToLength(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Text as messages of at most `max` characters, cut between words where it can be: a reply is
 * never dropped for its length, and never cut mid-word when a space is near.
 */
export function splitMessage(text: string, max = WHATSAPP_MAX_BODY): string[] {
  const parts: string[] = [];
  let rest = text.trim();
  while (rest.length > max) {
    const space = rest.lastIndexOf(' ', max);
    const at = space > max / 2 ? space : max;
    parts.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  if (rest) parts.push(rest);
  return parts;
}
