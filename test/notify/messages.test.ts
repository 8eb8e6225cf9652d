import { describe, expect, it } from 'vitest';
import {
  bookingNotifications,
  emergencyNotifications,
  leadNotifications,
  resolveNotificationSettings,
} from '../../src/notify/index.js';
import { spokenNumber } from '../../src/notify/messages.js';

const B = '00000000-0000-4000-8000-000000000001';

describe('notification settings', () => {
  it('falls back to the profile emergency number for SMS and alert calls when none are set', () => {
    const { settings, problems } = resolveNotificationSettings({}, { emergencyNumber: '+1 (500) 555-0101' });
    expect(problems).toEqual([]);
    expect(settings.emergency).toMatchObject({
      sms: ['+15005550101'],
      calls: ['+15005550101'],
      email: [],
      callsPerContact: 2,
      ackTimeoutSeconds: 120,
    });
    expect(settings.bookings.confirmToCustomer).toBe(true);
  });

  it('never throws on malformed settings: defaults, the fallback, and the problems listed', () => {
    const { settings, problems } = resolveNotificationSettings(
      { notifications: { emergency: { sms: ['not a number'] } } },
      { emergencyNumber: '+15005550101' },
    );
    expect(problems[0]).toContain('emergency.sms');
    expect(settings.emergency.calls).toEqual(['+15005550101']);
  });

  it('accepts WhatsApp SMS recipients and normalises phone numbers', () => {
    const { settings } = resolveNotificationSettings({
      notifications: {
        emergency: { sms: ['whatsapp:+15005550101', '+1 500 555 0102'], calls: ['+15005550103'] },
      },
    });
    expect(settings.emergency.sms).toEqual(['whatsapp:+15005550101', '+15005550102']);
  });
});

describe('notification texts', () => {
  const { settings } = resolveNotificationSettings({
    notifications: {
      emergency: { sms: ['+15005550101'], calls: ['+15005550101'], email: ['o@acme.test'] },
      leads: { sms: ['+15005550101'] },
      bookings: { email: ['o@acme.test'] },
    },
  });

  it('an emergency becomes one high-priority row per recipient, deduped per emergency, and an escalation', () => {
    const plan = emergencyNotifications(settings, {
      businessId: B,
      businessName: 'Acme',
      emergencyId: 'em-1',
      category: 'burst-pipe',
      trigger: 'a pipe burst',
      summary: 'Burst pipe in the kitchen',
      callerId: '+15005550006',
      at: new Date('2026-03-02T15:00:00Z'),
      timeZone: 'America/Chicago',
    });
    expect(plan.notifications.map((n) => [n.kind, n.recipient, n.dedupeKey])).toEqual([
      ['sms', '+15005550101', 'emergency:em-1:sms:+15005550101'],
      ['email', 'o@acme.test', 'emergency:em-1:email:o@acme.test'],
    ]);
    expect(plan.notifications[0]!.body).toBe(
      'EMERGENCY (burst pipe) at Acme. Caller +15005550006: "a pipe burst". Burst pipe in the kitchen',
    );
    expect(plan.notifications[1]!.body).toContain('When: Mon, Mar 2, 9:00 AM CST');
    expect(plan.notifications.every((n) => n.priority === 10)).toBe(true);
    expect(plan.escalation).toMatchObject({
      contacts: ['+15005550101'],
      callsPerContact: 2,
      ackTimeoutMs: 120_000,
    });
    expect(plan.escalation!.message).toContain('A caller reported burst pipe.');
  });

  it('reads phone numbers digit by digit in groups', () => {
    expect(spokenNumber('+15005550006')).toBe('5 0 0, 5 5 5, 0 0 0 6');
    expect(spokenNumber('+442071838750')).toBe('4 4 2 0 7 1 8 3 8 7 5 0');
  });

  it('a lead notifies the lead recipients once per lead; partial leads say so', () => {
    const rows = leadNotifications(settings, {
      businessId: B,
      businessName: 'Acme',
      leadId: 'l-1',
      fields: { name: 'Jane Roe', phone: '+15005550006', need: 'water heater' },
      complete: false,
      at: new Date(),
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      kind: 'sms',
      cause: 'lead',
      causeId: 'l-1',
      dedupeKey: 'lead:l-1:sms:+15005550101',
    });
    expect(rows[0]!.body).toBe('Partial lead for Acme: Jane Roe, +15005550006 - water heater');
  });

  it('a booking texts the customer a confirmation in local time and tells the owner', () => {
    const rows = bookingNotifications(settings, {
      businessId: B,
      businessName: 'Acme Dental',
      bookingId: 'bk-1',
      action: 'booked',
      serviceName: 'cleaning',
      start: '2026-03-03T15:00:00Z',
      end: '2026-03-03T15:30:00Z',
      customerName: 'Jane',
      customerPhone: '+15005550006',
      timeZone: 'America/New_York',
    });
    expect(rows.map((r) => [r.kind, r.recipient, r.cause])).toEqual([
      ['sms', '+15005550006', 'booking-confirmation'],
      ['email', 'o@acme.test', 'booking'],
    ]);
    expect(rows[0]!.body).toBe(
      'Acme Dental: your cleaning is booked for Tue, Mar 3, 10:00 AM EST. Reply or call us to change it.',
    );
  });
});
