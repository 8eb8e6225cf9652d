import { parseE164 } from '../ids.js';
import type { Db } from '../store/index.js';
import {
  outbox,
  type NotificationCause,
  type NotificationKind,
  type OutboxStatus,
} from '../store/schema/index.js';

/** A transaction on the database, as `db.transaction(fn)` hands it to `fn`. */
export type DbTx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** The database, or a transaction on it: enqueue takes whichever the cause is being written with. */
export type DbOrTx = Db | DbTx;

export interface NewNotification {
  businessId: string;
  kind: NotificationKind;
  /** sms: E.164 or whatsapp:+E.164; voice-call: E.164; email: an address; slack: the webhook URL. */
  recipient: string;
  subject?: string | undefined;
  body: string;
  payload?: Record<string, unknown> | undefined;
  cause: NotificationCause;
  causeId?: string | undefined;
  callSid?: string | undefined;
  /** Higher goes first; emergencies use PRIORITY.emergency. */
  priority?: number | undefined;
  maxAttempts?: number | undefined;
  /** A second enqueue with the same key writes nothing. */
  dedupeKey?: string | undefined;
  /** Not before this time (default: now). */
  notBefore?: Date | undefined;
}

export const PRIORITY = { normal: 0, emergency: 10 } as const;

export interface Enqueued {
  id: string;
  kind: NotificationKind;
  status: OutboxStatus;
}

/**
 * Writes notifications with `tx`, the transaction that stores their cause, so the lead or emergency
 * and its notifications are committed together or not at all. Call the dispatcher's wake() after
 * the commit for an immediate first attempt (other nodes find the rows on their next poll).
 *
 * A notification whose recipient cannot be valid is still written, as 'dead' with the reason, so
 * a bad address in the settings shows up in the dashboard instead of failing the cause's write.
 * Returns the rows written (duplicates of an existing dedupe key are skipped).
 */
export async function enqueue(
  tx: DbOrTx,
  items: readonly NewNotification[],
  opts: { now?: Date } = {},
): Promise<Enqueued[]> {
  if (items.length === 0) return [];
  const now = opts.now ?? new Date();
  const rows = items.map((n) => {
    const problem = recipientProblem(n.kind, n.recipient);
    return {
      businessId: n.businessId,
      kind: n.kind,
      recipient: n.recipient,
      subject: n.subject ?? null,
      body: n.body,
      payload: n.payload ?? {},
      cause: n.cause,
      causeId: n.causeId ?? null,
      callSid: n.callSid ?? null,
      priority: n.priority ?? PRIORITY.normal,
      maxAttempts: n.maxAttempts ?? 8,
      dedupeKey: n.dedupeKey ?? null,
      status: (problem ? 'dead' : 'pending') as OutboxStatus,
      lastError: problem ?? null,
      nextAttemptAt: n.notBefore ?? now,
      createdAt: now,
      updatedAt: now,
    };
  });
  return tx
    .insert(outbox)
    .values(rows)
    .onConflictDoNothing({ target: outbox.dedupeKey })
    .returning({ id: outbox.id, kind: outbox.kind, status: outbox.status });
}

/** Why a recipient can never be delivered to, or undefined when it looks deliverable. */
export function recipientProblem(kind: NotificationKind, recipient: string): string | undefined {
  switch (kind) {
    case 'sms': {
      const number = recipient.startsWith('whatsapp:') ? recipient.slice('whatsapp:'.length) : recipient;
      return parseE164(number) === number ? undefined : 'invalid recipient: expected an E.164 number';
    }
    case 'whatsapp':
      return /^whatsapp:\+[1-9]\d{6,14}$/.test(recipient)
        ? undefined
        : 'invalid recipient: expected a WhatsApp address (whatsapp:+E.164)';
    case 'voice-call':
      return parseE164(recipient) === recipient ? undefined : 'invalid recipient: expected an E.164 number';
    case 'email':
      return /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(recipient)
        ? undefined
        : 'invalid recipient: expected an email address';
    case 'slack': {
      try {
        const u = new URL(recipient);
        return u.protocol === 'https:' || u.protocol === 'http:'
          ? undefined
          : 'invalid recipient: expected a webhook URL';
      } catch {
        return 'invalid recipient: expected a webhook URL';
      }
    }
  }
}
