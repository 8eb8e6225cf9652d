/**
 * The Notifications page's form and the PUT /api/admin/business/notifications body made from it
 * (src/admin/business-api.ts). Email and phone are the endpoint's own two fields. A Slack webhook
 * URL lives in each section of the notification settings (src/notify/settings.ts); the page edits
 * one URL for all three, and sends the sections only when it changed: GET shows the URL masked,
 * and a masked URL copied into another section would be stored as if it were real.
 */

export const SECTIONS = ['emergency', 'leads', 'bookings'] as const;
export type Section = (typeof SECTIONS)[number];

export interface NotificationsView {
  businessId: string;
  notificationEmail: string | null;
  notificationPhoneNumber: string | null;
  emergency: Record<string, unknown> & { slackWebhookUrl?: string };
  leads: Record<string, unknown> & { slackWebhookUrl?: string };
  bookings: Record<string, unknown> & { slackWebhookUrl?: string };
}

export interface NotificationsForm {
  email: string;
  phone: string;
  slack: string;
}

export function notificationsForm(v: NotificationsView): NotificationsForm {
  return {
    email: v.notificationEmail ?? '',
    phone: v.notificationPhoneNumber ?? '',
    slack: v.emergency.slackWebhookUrl ?? v.leads.slackWebhookUrl ?? v.bookings.slackWebhookUrl ?? '',
  };
}

export interface NotificationsBody {
  notificationEmail?: string | null;
  notificationPhoneNumber?: string | null;
  emergency?: Record<string, unknown>;
  leads?: Record<string, unknown>;
  bookings?: Record<string, unknown>;
}

/**
 * Only what changed is sent: the server makes a new email or phone the only one of its lists,
 * so an unchanged field must not replace contacts set through the API.
 */
export function notificationsBody(form: NotificationsForm, saved: NotificationsView): NotificationsBody {
  const before = notificationsForm(saved);
  const email = form.email.trim();
  const phone = form.phone.replace(/[\s().-]/g, '');
  const body: NotificationsBody = {};
  if (email !== before.email) body.notificationEmail = email === '' ? null : email;
  if (phone !== before.phone) body.notificationPhoneNumber = phone === '' ? null : phone;
  const slack = form.slack.trim();
  if (slack === before.slack) return body;
  for (const s of SECTIONS) {
    const { slackWebhookUrl: _old, ...rest } = saved[s];
    // The other sections' URLs as GET showed them are masked: only the new one is sent.
    body[s] = slack === '' ? rest : { ...rest, slackWebhookUrl: slack };
  }
  return body;
}

/** Problems the server would refuse, in the page's words (empty = fine). */
export function notificationsProblems(
  form: NotificationsForm,
): Partial<Record<keyof NotificationsForm, string>> {
  const out: Partial<Record<keyof NotificationsForm, string>> = {};
  const email = form.email.trim();
  if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
    out.email = 'Enter an email address, like owner@example.com.';
  const phone = form.phone.replace(/[\s().-]/g, '');
  if (phone && !/^\+[1-9]\d{6,14}$/.test(phone))
    out.phone = 'Enter the number with its country code, like +12125550147.';
  const slack = form.slack.trim();
  if (slack && !/^https?:\/\/\S+$/.test(slack))
    out.slack = 'Enter the webhook URL Slack gave you (https://…).';
  return out;
}

const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

/**
 * Contacts beyond the two the page shows (set through the API), which saving a changed email or
 * phone replaces: the page says so before it happens.
 */
export function otherContacts(v: NotificationsView): { emails: string[]; phones: string[] } {
  const emails = new Set([...list(v.leads.email), ...list(v.emergency.email)]);
  const phones = new Set([...list(v.emergency.calls), ...list(v.emergency.sms)]);
  if (v.notificationEmail) emails.delete(v.notificationEmail);
  if (v.notificationPhoneNumber) phones.delete(v.notificationPhoneNumber);
  return { emails: [...emails], phones: [...phones] };
}
