import type { NewNotification } from './outbox.js';
import { PRIORITY } from './outbox.js';
import type { StartEscalation } from './escalation.js';
import type { NotificationSettings } from './settings.js';

/**
 * The words of each notification: what the owner reads in an SMS, hears on an alert call, finds in
 * an email. Pure functions from what happened (and the settings) to outbox rows.
 */

export interface TranscriptLine {
  speaker: string;
  text: string;
}

export interface EmergencyNotice {
  businessId: string;
  businessName: string;
  /** The emergency record's id (dedupes a second raise of the same emergency). */
  emergencyId?: string | undefined;
  callSid?: string | undefined;
  /** e.g. flooding, gas, bleeding (the brain's EmergencyCategory). */
  category: string;
  /** The caller's words that raised it. */
  trigger: string;
  summary: string;
  callerId?: string | undefined;
  transcript?: readonly TranscriptLine[] | undefined;
  at: Date;
  /** Business time zone, for times in the text. */
  timeZone?: string | undefined;
}

export interface LeadNotice {
  businessId: string;
  businessName: string;
  leadId: string;
  callSid?: string | undefined;
  fields: Partial<Record<string, string>>;
  complete: boolean;
  transcript?: readonly TranscriptLine[] | undefined;
  at: Date;
  timeZone?: string | undefined;
}

export interface BookingNotice {
  businessId: string;
  businessName: string;
  bookingId: string;
  callSid?: string | undefined;
  action: 'booked' | 'moved' | 'cancelled';
  serviceName: string;
  /** ISO instants. */
  start: string;
  end: string;
  customerName?: string | undefined;
  customerPhone?: string | undefined;
  timeZone?: string | undefined;
}

const SMS_MAX = 480;
const label = (category: string) => category.replace(/-/g, ' ');
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function when(at: Date | string, timeZone: string | undefined): string {
  return new Date(at).toLocaleString('en-US', {
    timeZone: timeZone ?? 'UTC',
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  });
}

/** "+15005550006" -> "5 0 0, 5 5 5, 0 0 0 6": read out digit by digit, grouped as people say them. */
export function spokenNumber(e164: string): string {
  const digits = e164.replace(/\D/g, '');
  const national = digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits;
  const groups =
    national.length === 10 ? [national.slice(0, 3), national.slice(3, 6), national.slice(6)] : [national];
  return groups.map((g) => g.split('').join(' ')).join(', ');
}

function transcriptText(lines: readonly TranscriptLine[] | undefined): string {
  if (!lines?.length) return '(no transcript)';
  return lines.map((l) => `${l.speaker}: ${l.text}`).join('\n');
}

/** Fans one message out to the configured recipients, one row each, deduped per cause record. */
function fanOut(
  base: Omit<NewNotification, 'kind' | 'recipient' | 'body' | 'subject'>,
  key: string | undefined,
  targets: { sms: readonly string[]; email: readonly string[]; slackWebhookUrl?: string | undefined },
  text: { sms: string; emailSubject: string; emailBody: string; slack: string },
): NewNotification[] {
  const out: NewNotification[] = [];
  const dedupe = (kind: string, recipient: string) => (key ? `${key}:${kind}:${recipient}` : undefined);
  for (const r of targets.sms)
    out.push({ ...base, kind: 'sms', recipient: r, body: text.sms, dedupeKey: dedupe('sms', r) });
  for (const r of targets.email)
    out.push({
      ...base,
      kind: 'email',
      recipient: r,
      subject: text.emailSubject,
      body: text.emailBody,
      dedupeKey: dedupe('email', r),
    });
  if (targets.slackWebhookUrl)
    out.push({
      ...base,
      kind: 'slack',
      recipient: targets.slackWebhookUrl,
      body: text.slack,
      dedupeKey: dedupe('slack', 'webhook'),
    });
  return out;
}

export function emergencyNotifications(
  settings: NotificationSettings,
  e: EmergencyNotice,
): { notifications: NewNotification[]; escalation: StartEscalation | undefined } {
  const s = settings.emergency;
  const caller = e.callerId ?? 'unknown number';
  const headline = `EMERGENCY (${label(e.category)}) at ${e.businessName}`;
  const base = {
    businessId: e.businessId,
    cause: 'emergency',
    causeId: e.emergencyId,
    callSid: e.callSid,
    priority: PRIORITY.emergency,
  } as const;
  const notifications = fanOut(base, e.emergencyId ? `emergency:${e.emergencyId}` : undefined, s, {
    sms: clip(`${headline}. Caller ${caller}: "${e.trigger}". ${e.summary}`, SMS_MAX),
    emailSubject: clip(`${headline} - caller ${caller}`, 200),
    emailBody: [
      `${headline}`,
      '',
      `When: ${when(e.at, e.timeZone)}`,
      `Caller: ${caller}`,
      `What they said: "${e.trigger}"`,
      `Summary: ${e.summary}`,
      ...(e.callSid ? [`Call: ${e.callSid}`] : []),
      '',
      'Conversation:',
      transcriptText(e.transcript),
    ].join('\n'),
    slack: `:rotating_light: ${headline}\nCaller ${caller}: "${e.trigger}"\n${e.summary}`,
  });
  const callback = e.callerId ? ` The caller's number is ${spokenNumber(e.callerId)}.` : '';
  const escalation: StartEscalation | undefined =
    s.calls.length > 0
      ? {
          businessId: e.businessId,
          cause: 'emergency',
          causeId: e.emergencyId,
          callSid: e.callSid,
          message: `Emergency alert for ${e.businessName}. A caller reported ${label(e.category)}. ${e.summary}.${callback}`,
          contacts: s.calls,
          callsPerContact: s.callsPerContact,
          ackTimeoutMs: s.ackTimeoutSeconds * 1000,
        }
      : undefined;
  return { notifications, escalation };
}

export function leadNotifications(settings: NotificationSettings, l: LeadNotice): NewNotification[] {
  const f = l.fields;
  const who = [f['name'], f['phone']].filter(Boolean).join(', ') || 'a caller';
  const state = l.complete ? 'New lead' : 'Partial lead';
  const lines = Object.entries(f)
    .filter(([, v]) => v)
    .map(([k, v]) => `${k}: ${v}`);
  return fanOut(
    { businessId: l.businessId, cause: 'lead', causeId: l.leadId, callSid: l.callSid },
    `lead:${l.leadId}`,
    settings.leads,
    {
      sms: clip(`${state} for ${l.businessName}: ${who}${f['need'] ? ` - ${f['need']}` : ''}`, SMS_MAX),
      emailSubject: clip(`${state}: ${who}`, 200),
      emailBody: [
        `${state} for ${l.businessName} (${when(l.at, l.timeZone)})`,
        '',
        ...lines,
        '',
        'Conversation:',
        transcriptText(l.transcript),
      ].join('\n'),
      slack: `${state}: ${who}\n${lines.join('\n')}`,
    },
  );
}

export function bookingNotifications(settings: NotificationSettings, b: BookingNotice): NewNotification[] {
  const s = settings.bookings;
  const at = when(b.start, b.timeZone);
  const verb = { booked: 'booked', moved: 'moved to', cancelled: 'cancelled' }[b.action];
  const key = `booking:${b.bookingId}:${b.action}:${b.start}`;
  const out: NewNotification[] = [];
  if (s.confirmToCustomer && b.customerPhone) {
    const text =
      b.action === 'cancelled'
        ? `${b.businessName}: your ${b.serviceName} on ${at} is cancelled.`
        : `${b.businessName}: your ${b.serviceName} is ${verb === 'booked' ? 'booked for' : verb} ${at}. Reply or call us to change it.`;
    out.push({
      businessId: b.businessId,
      kind: 'sms',
      recipient: b.customerPhone,
      body: text,
      cause: 'booking-confirmation',
      causeId: b.bookingId,
      callSid: b.callSid,
      dedupeKey: `${key}:customer`,
    });
  }
  const who = [b.customerName, b.customerPhone].filter(Boolean).join(', ') || 'a caller';
  const line = `${b.serviceName} ${verb} ${at} for ${who}`;
  out.push(
    ...fanOut(
      { businessId: b.businessId, cause: 'booking', causeId: b.bookingId, callSid: b.callSid },
      key,
      s,
      {
        sms: clip(`${b.businessName}: ${line}`, SMS_MAX),
        emailSubject: clip(`Booking ${b.action}: ${line}`, 200),
        emailBody: `${line}\nEnds: ${when(b.end, b.timeZone)}\nBooking: ${b.bookingId}`,
        slack: `Booking ${b.action}: ${line}`,
      },
    ),
  );
  return out;
}
