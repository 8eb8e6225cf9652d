import type { OutboundNotification } from '../channel.js';

/** The mail nodemailer sends or writes for an email notification (plain text; subject required). */
export function mailFor(n: OutboundNotification, from: string) {
  return {
    from,
    to: n.recipient,
    subject: n.subject ?? 'Switchboard notification',
    text: n.body,
    // Lets a mailbox rule or a bounce be traced back to the outbox row.
    headers: { 'X-Switchboard-Notification': n.id, 'X-Switchboard-Cause': String(n.cause) },
  };
}
