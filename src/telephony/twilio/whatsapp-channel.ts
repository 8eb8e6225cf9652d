import { z } from 'zod';
import {
  PermanentNotificationError,
  type NotificationChannel,
  type OutboundNotification,
  type SendResult,
} from '../../notify/index.js';
import { createdSince } from './created-since.js';
import { fromTwilioError } from './notification-error.js';
import type { SendMessageParams, TwilioRestClient } from './rest.js';
import { WHATSAPP_ADDRESS, WHATSAPP_MAX_BODY, cutToLength } from './whatsapp-address.js';

/**
 * Outbox rows of kind 'whatsapp' (replies to a WhatsApp contact, messages the business sends) as
 * Twilio Messages API requests (PROTOCOLS.md 4.2): free text as `Body`, or an approved template
 * as `ContentSid` + `ContentVariables` (a JSON string) with no Body, which is what a closed
 * 24-hour window requires (4.3). Twilio's 63016 (free text outside the window) is a 4xx, so it
 * comes back permanent: retrying the same text can never succeed.
 */

/** What a 'whatsapp' row's payload may carry; anything else in it is ignored. */
export const WhatsAppPayload = z.looseObject({
  /** Our WhatsApp sender for this row (the address the customer wrote to); default the configured one. */
  from: z.string().regex(WHATSAPP_ADDRESS).optional(),
  /** A Content API template (HX…): sent instead of the body. */
  contentSid: z
    .string()
    .regex(/^HX[0-9a-fA-F]{32}$/)
    .optional(),
  contentVariables: z.record(z.string(), z.string()).optional(),
});
export type WhatsAppPayload = z.infer<typeof WhatsAppPayload>;

export interface TwilioWhatsAppOptions {
  client: TwilioRestClient;
  /** The configured WhatsApp sender (whatsapp:+E164), for rows whose payload names none. */
  from?: string | undefined;
  statusCallbackUrl?: string | undefined;
}

export class TwilioWhatsAppChannel implements NotificationChannel {
  readonly name = 'twilio-whatsapp';
  constructor(private readonly opts: TwilioWhatsAppOptions) {}

  async send(n: OutboundNotification, signal: AbortSignal): Promise<SendResult> {
    const params = this.wire(n);
    try {
      const msg = await this.opts.client.sendMessage(
        { ...params, statusCallback: this.opts.statusCallbackUrl },
        signal,
      );
      return { providerId: msg.sid };
    } catch (err) {
      throw fromTwilioError(err);
    }
  }

  /**
   * Free text: messages from our sender to this contact with this very text, created since
   * `since`. A template's text is rendered by Twilio and unknown here, so nothing can be told
   * apart from another message to the same contact: none is claimed, and an unconfirmed template
   * is sent again (a duplicate beats a message never sent).
   */
  async findSent(n: OutboundNotification, since: Date, signal: AbortSignal): Promise<SendResult[]> {
    const { to, from, body, contentSid } = this.wire(n);
    if (contentSid) return [];
    const found: SendResult[] = [];
    try {
      for await (const m of this.opts.client.listMessages({ to, from }, { signal, maxPages: 3 })) {
        if (m.body === body && createdSince(m.date_created, since)) found.push({ providerId: m.sid });
      }
    } catch (err) {
      throw fromTwilioError(err);
    }
    return found;
  }

  private wire(n: OutboundNotification): SendMessageParams & { to: string; from: string } {
    const parsed = WhatsAppPayload.safeParse(n.payload);
    if (!parsed.success) throw new PermanentNotificationError('invalid WhatsApp payload (from, contentSid)');
    const p = parsed.data;
    const from = p.from ?? this.opts.from;
    if (!from) throw new PermanentNotificationError('no WhatsApp sender configured');
    if (p.contentSid) {
      return {
        to: n.recipient,
        from,
        contentSid: p.contentSid,
        ...(p.contentVariables ? { contentVariables: p.contentVariables } : {}),
      };
    }
    return { to: n.recipient, from, body: cutToLength(n.body, WHATSAPP_MAX_BODY) };
  }
}
