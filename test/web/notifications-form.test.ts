import { describe, expect, it } from 'vitest';
import { notificationSettingsSchema } from '../../src/notify/index.js';
import {
  notificationsBody,
  notificationsForm,
  notificationsProblems,
  otherContacts,
  type NotificationsView,
} from '../../web/admin/src/pages/parts/notifications-form.js';

/** GET /api/admin/business/notifications for the demo business, with a Slack URL (masked). */
const saved: NotificationsView = {
  businessId: '00000000-0000-4000-8000-00000000ac3e',
  notificationEmail: 'office@acme-plumbing.example',
  notificationPhoneNumber: '+12125550147',
  emergency: {
    sms: ['+12125550147'],
    calls: ['+12125550147', '+12125550188'],
    email: ['owner@acme-plumbing.example'],
    slackWebhookUrl: 'https://hooks.example/…',
    callsPerContact: 2,
    ackTimeoutSeconds: 120,
  },
  leads: { sms: [], email: ['office@acme-plumbing.example'], slackWebhookUrl: 'https://hooks.example/…' },
  bookings: { sms: [], email: ['office@acme-plumbing.example'], confirmToCustomer: true },
};

describe('the Notifications form', () => {
  it('shows the saved email, phone and (masked) Slack URL', () => {
    expect(notificationsForm(saved)).toEqual({
      email: 'office@acme-plumbing.example',
      phone: '+12125550147',
      slack: 'https://hooks.example/…',
    });
  });

  it('sends nothing that did not change, so contacts set through the API stay', () => {
    expect(notificationsBody(notificationsForm(saved), saved)).toEqual({});
  });

  it('sends a changed email or phone (spaces and dashes dropped), and null to clear one', () => {
    const form = { ...notificationsForm(saved), email: ' new@example.com ', phone: '+1 212-555-0199' };
    expect(notificationsBody(form, saved)).toEqual({
      notificationEmail: 'new@example.com',
      notificationPhoneNumber: '+12125550199',
    });
    expect(notificationsBody({ ...form, email: '', phone: '' }, saved)).toEqual({
      notificationEmail: null,
      notificationPhoneNumber: null,
    });
  });

  it('puts a new Slack URL in every section, never a masked one, keeping the rest of each', () => {
    const url = 'https://hooks.slack.test/services/T000/B000/XXXX';
    const body = notificationsBody({ ...notificationsForm(saved), slack: url }, saved);
    expect(body.emergency).toEqual({ ...saved.emergency, slackWebhookUrl: url });
    expect(body.leads).toEqual({ ...saved.leads, slackWebhookUrl: url });
    expect(body.bookings).toEqual({ ...saved.bookings, slackWebhookUrl: url });
    for (const s of ['emergency', 'leads', 'bookings'] as const)
      expect(notificationSettingsSchema.shape[s].safeParse(body[s]).success).toBe(true);
  });

  it('removes the Slack URL from every section when cleared', () => {
    const body = notificationsBody({ ...notificationsForm(saved), slack: ' ' }, saved);
    expect(body.emergency).not.toHaveProperty('slackWebhookUrl');
    expect(body.leads).not.toHaveProperty('slackWebhookUrl');
    expect(body.bookings).toEqual(saved.bookings);
  });

  it('names the contacts the page does not show, which a change replaces', () => {
    expect(otherContacts(saved)).toEqual({
      emails: ['owner@acme-plumbing.example'],
      phones: ['+12125550188'],
    });
  });

  it('says what the server would refuse', () => {
    expect(notificationsProblems({ email: 'nope', phone: '555-0100', slack: 'hooks' })).toEqual({
      email: 'Enter an email address, like owner@example.com.',
      phone: 'Enter the number with its country code, like +12125550147.',
      slack: 'Enter the webhook URL Slack gave you (https://…).',
    });
    expect(notificationsProblems({ email: '', phone: '', slack: '' })).toEqual({});
    expect(notificationsProblems(notificationsForm(saved))).toEqual({});
  });
});
