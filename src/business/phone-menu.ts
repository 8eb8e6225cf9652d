import { z } from 'zod';
import { parseE164 } from '../ids.js';

/**
 * A business's phone menu (issue 13 item 5), kept in its settings as `phoneMenu`: "press 1 for
 * sales, press 2 for support, or stay on the line for our assistant". The data and its prompt;
 * the voice webhook plays it (telephony/twilio/phone-menu.ts) and the admin API stores it
 * (admin/phone-menu-api.ts), both with this schema.
 */

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
