import twilio from 'twilio';
import { z } from 'zod';
import { parseE164 } from '../../ids.js';

/**
 * A business's phone menu (issue 13 item 5), kept in its settings as `phoneMenu`: "press 1 for
 * sales, press 2 for support, or stay on the line for our assistant". Keys are gathered by
 * Twilio (<Gather input="dtmf" numDigits="1">) and posted to /twilio/routing.
 */

export const ROUTING_PATH = '/twilio/routing';
export const DIAL_STATUS_PATH = '/twilio/routing/dial-status';

const digit = z.string().regex(/^[0-9]$/, 'must be one key, 0 to 9');
const label = z.string().trim().min(1).max(60);
const e164 = z.string().transform((s, ctx) => {
  const n = parseE164(s);
  if (!n) ctx.addIssue({ code: 'custom', message: 'expected an E.164 phone number, e.g. +15005550006' });
  return n ?? z.NEVER;
});

export const phoneMenuOptionSchema = z.discriminatedUnion('action', [
  /** Ring a person (sales, the office): their number, the business's number as caller ID. */
  z.strictObject({ digit, label, action: z.literal('dial'), number: e164 }),
  /** The AI receptionist, as staying on the line does. */
  z.strictObject({ digit, label, action: z.literal('assistant') }),
  /** Leave a message (the message-taking flow). */
  z.strictObject({ digit, label, action: z.literal('message') }),
]);

export const phoneMenuSchema = z
  .strictObject({
    enabled: z.boolean(),
    /** Said instead of the prompt built from the options. */
    prompt: z.string().trim().min(1).max(500).optional(),
    options: z.array(phoneMenuOptionSchema).max(10).default([]),
    /** Seconds Twilio waits for a key before going on to the assistant. */
    timeoutSeconds: z.number().int().min(1).max(15).default(5),
  })
  .superRefine((menu, ctx) => {
    const seen = new Set<string>();
    menu.options.forEach((o, i) => {
      if (seen.has(o.digit))
        ctx.addIssue({
          code: 'custom',
          path: ['options', i, 'digit'],
          message: `key ${o.digit} is used twice`,
        });
      seen.add(o.digit);
    });
    if (menu.enabled && menu.options.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['options'],
        message: 'an enabled menu needs at least one option',
      });
  });

export type PhoneMenu = z.infer<typeof phoneMenuSchema>;
export type PhoneMenuOption = z.infer<typeof phoneMenuOptionSchema>;

/** The business's menu when it has a valid, enabled one; anything else is no menu. */
export function phoneMenuOf(settings: Record<string, unknown>): PhoneMenu | undefined {
  const parsed = phoneMenuSchema.safeParse(settings['phoneMenu']);
  return parsed.success && parsed.data.enabled ? parsed.data : undefined;
}

/** "Press 1 for sales, press 2 for support, or stay on the line for our assistant." */
export function menuPrompt(menu: PhoneMenu): string {
  if (menu.prompt) return menu.prompt;
  const choices = menu.options.map((o) => `press ${o.digit} for ${o.label}`);
  const first = choices.join(', ');
  const sentence = `${first}, or stay on the line for our assistant.`;
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}

export function routingUrl(publicUrl: string, attempt = 1): string {
  return `${publicUrl}${ROUTING_PATH}${attempt > 1 ? `?attempt=${attempt}` : ''}`;
}

/**
 * The menu, then what the call would have heard without it: Twilio runs the verbs after the
 * <Gather> when no key comes, so staying on the line reaches the assistant.
 */
export function menuTwiml(opts: {
  publicUrl: string;
  menu: PhoneMenu;
  /** Said before the choices (the business's greeting; "Sorry, that is not an option." on a retry). */
  before?: string;
  attempt?: number;
  /** The TwiML of the call without a menu (a <Response> document): its verbs follow the <Gather>. */
  then: string;
}): string {
  const response = new twilio.twiml.VoiceResponse();
  const words = [opts.before?.trim(), menuPrompt(opts.menu)].filter(Boolean).join(' ');
  response
    .gather({
      input: ['dtmf'],
      numDigits: 1,
      action: routingUrl(opts.publicUrl, opts.attempt),
      method: 'POST',
      timeout: opts.menu.timeoutSeconds,
    })
    .say(words);
  return appendDocument(response.toString(), opts.then);
}

/** The verbs of `then` (a whole <Response> document) placed after those of `first`. */
function appendDocument(first: string, then: string): string {
  const body = /<Response>([\s\S]*)<\/Response>/.exec(then)?.[1] ?? '';
  if (/<Response\/>\s*$/.test(first))
    return first.replace(/<Response\/>\s*$/, `<Response>${body}</Response>`);
  return first.replace(/<\/Response>\s*$/, `${body}</Response>`);
}
