import type { OutboundNotification } from '../channel.js';

/**
 * The mail nodemailer sends or writes for an email notification (plain text; subject required).
 * Its Message-ID comes from the outbox id, so a resend after an unanswered attempt is the same
 * message to mail servers and clients (which drop a repeated Message-ID), not a second one.
 */
export function mailFor(n: OutboundNotification, from: string) {
  return {
    messageId: messageIdFor(n.id, from),
    from,
    to: n.recipient,
    subject: n.subject ?? 'Switchboard notification',
    text: n.body,
    // Lets a mailbox rule or a bounce be traced back to the outbox row.
    headers: { 'X-Switchboard-Notification': n.id, 'X-Switchboard-Cause': String(n.cause) },
  };
}

/** <outbox-{id}@{domain of the From address}> (RFC 5322 msg-id), one per outbox row. */
export function messageIdFor(outboxId: string, from: string): string {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? 'switchboard.localhost';
  return `<outbox-${outboxId}@${domain}>`;
}
