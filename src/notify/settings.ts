import { z } from 'zod';
import { parseE164 } from '../ids.js';
import { DEFAULT_ACK_TIMEOUT_MS, DEFAULT_CALLS_PER_CONTACT } from './escalation.js';

/**
 * Who is told what, per business, kept in businesses.settings.notifications (the store keeps it as
 * opaque JSON; this schema owns its shape). Every list may be empty.
 */

const phone = z.string().transform((s, ctx) => {
  const n = parseE164(s);
  if (!n) {
    ctx.addIssue({ code: 'custom', message: 'must be a phone number in E.164 form, e.g. +15005550006' });
    return z.NEVER;
  }
  return n as string;
});
/** SMS recipients may be WhatsApp addresses. */
const smsAddress = z.union([z.string().regex(/^whatsapp:\+[1-9]\d{6,14}$/), phone]);
const webhookUrl = z.url({ protocol: /^https?$/ });

const recipients = {
  sms: z.array(smsAddress).max(10).default([]),
  email: z.array(z.email()).max(10).default([]),
  slackWebhookUrl: webhookUrl.optional(),
};

export const notificationSettingsSchema = z.object({
  emergency: z
    .object({
      ...recipients,
      /** Voice alerts, in escalation order. */
      calls: z.array(phone).max(10).default([]),
      callsPerContact: z.number().int().min(1).max(5).default(DEFAULT_CALLS_PER_CONTACT),
      ackTimeoutSeconds: z
        .number()
        .int()
        .min(30)
        .max(1800)
        .default(DEFAULT_ACK_TIMEOUT_MS / 1000),
    })
    .prefault({}),
  leads: z.object(recipients).prefault({}),
  bookings: z
    .object({
      ...recipients,
      /** Text the customer a confirmation when a booking is made, moved or cancelled. */
      confirmToCustomer: z.boolean().default(true),
    })
    .prefault({}),
});
export type NotificationSettings = z.infer<typeof notificationSettingsSchema>;
export type NotificationSettingsInput = z.input<typeof notificationSettingsSchema>;

/**
 * The business's notification settings from its settings JSON. Never throws: an emergency must
 * not go unreported because the settings are malformed, so a bad section falls back to defaults
 * (and `problems` says why). With no emergency contacts at all, the profile's emergency number
 * gets the SMS and the alert calls.
 */
export function resolveNotificationSettings(
  businessSettings: unknown,
  fallback: { emergencyNumber?: string | undefined } = {},
): { settings: NotificationSettings; problems: string[] } {
  const raw = (businessSettings as { notifications?: unknown } | null | undefined)?.notifications ?? {};
  const parsed = notificationSettingsSchema.safeParse(raw);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  const settings = parsed.success ? parsed.data : notificationSettingsSchema.parse({});
  const em = settings.emergency;
  const number = fallback.emergencyNumber ? parseE164(fallback.emergencyNumber) : undefined;
  if (number && em.sms.length === 0 && em.calls.length === 0) {
    em.sms = [number];
    em.calls = [number];
  }
  return { settings, problems };
}
