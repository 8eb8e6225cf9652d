import { randomBytes } from 'node:crypto';
import { fetchFailureReason, ServerUnreachableError } from './errors.js';
import { postSigned } from './twilio-requests.js';

/**
 * Twilio's part of a WhatsApp conversation against a running Switchboard: each message is posted
 * to /whatsapp/message signed as Twilio signs it, and the answer is read where Switchboard puts
 * it, the outbox (GET /api/outbox with the admin key), as Twilio's Messages API would receive it.
 */

export interface WhatsAppChatOptions {
  baseUrl: string;
  authToken: string;
  apiKey: string;
  /** The customer, +E164. */
  from: string;
  /** The business's WhatsApp number, +E164. */
  to: string;
  /** How long to wait for each reply. */
  replyTimeoutMs?: number;
}

export interface WhatsAppExchange {
  sent: string;
  /** The reply messages, in order (one, unless a long answer was split). */
  replies: string[];
  /** The conversation's record (its id in /api/calls), once a reply names it. */
  callSid: string | undefined;
  /** Owner notifications this message caused beyond the reply (e.g. an emergency's alerts). */
  alerts: Array<{ kind: string; cause: string }>;
}

interface OutboxItem {
  id: string;
  kind: string;
  recipient: string;
  body: string;
  cause: string;
  callSid: string | null;
}

const POLL_MS = 150;

export async function* whatsappChat(
  messages: readonly string[],
  opts: WhatsAppChatOptions,
): AsyncGenerator<WhatsAppExchange> {
  const customer = `whatsapp:${opts.from}`;
  const seen = new Set((await outbox(opts)).map((i) => i.id));
  let callSid: string | undefined;
  for (const text of messages) {
    const params = {
      MessageSid: `SM${randomBytes(16).toString('hex')}`,
      AccountSid: `AC${'0'.repeat(32)}`,
      From: customer,
      To: `whatsapp:${opts.to}`,
      Body: text,
      NumMedia: '0',
      NumSegments: '1',
      ProfileName: 'Simulated customer',
      WaId: opts.from.slice(1),
      SmsStatus: 'received',
      ApiVersion: '2010-04-01',
    };
    const res = await postSigned(opts.authToken, `${opts.baseUrl}/whatsapp/message`, params);
    if (!res.ok) throw new Error(`POST /whatsapp/message answered ${res.status}: ${await res.text()}`);
    const deadline = Date.now() + (opts.replyTimeoutMs ?? 15_000);
    let fresh: OutboxItem[] = [];
    while (Date.now() < deadline) {
      fresh = (await outbox(opts)).filter((i) => !seen.has(i.id));
      if (fresh.some((i) => i.kind === 'whatsapp' && i.recipient === customer)) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    for (const i of fresh) seen.add(i.id);
    // The outbox lists newest first: replies in the order they were written.
    const replies = fresh.filter((i) => i.kind === 'whatsapp' && i.recipient === customer).reverse();
    callSid = replies[0]?.callSid ?? callSid;
    yield {
      sent: text,
      replies: replies.map((r) => r.body),
      callSid,
      alerts: fresh
        .filter((i) => i.kind !== 'whatsapp' && (callSid === undefined || i.callSid === callSid))
        .map((i) => ({ kind: i.kind, cause: i.cause })),
    };
  }
}

async function outbox(opts: WhatsAppChatOptions): Promise<OutboxItem[]> {
  const url = `${opts.baseUrl}/api/outbox?limit=50`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${opts.apiKey}` } });
  } catch (err) {
    throw new ServerUnreachableError(url, fetchFailureReason(err));
  }
  if (!res.ok) throw new Error(`GET /api/outbox answered ${res.status}`);
  return ((await res.json()) as { items: OutboxItem[] }).items;
}
