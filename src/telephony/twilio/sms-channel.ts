import {
  PermanentNotificationError,
  type NotificationChannel,
  type OutboundNotification,
  type SendResult,
} from '../../notify/index.js';
import { createdSince } from './created-since.js';
import { fromTwilioError } from './notification-error.js';
import type { TwilioRestClient } from './rest.js';

export interface TwilioSmsOptions {
  client: TwilioRestClient;
  /** The Twilio number SMS come from (E.164). */
  from: string;
  /** WhatsApp sender for `whatsapp:` recipients, e.g. whatsapp:+14155238886. */
  whatsappFrom?: string | undefined;
  statusCallbackUrl?: string | undefined;
}

/** Twilio's Body limit; longer text is cut rather than refused. */
const MAX_BODY = 1600;

export class TwilioSmsChannel implements NotificationChannel {
  readonly name = 'twilio-sms';
  constructor(private readonly opts: TwilioSmsOptions) {}

  async send(n: OutboundNotification, signal: AbortSignal): Promise<SendResult> {
    const { from, body } = this.wire(n);
    try {
      const msg = await this.opts.client.sendMessage(
        { to: n.recipient, from, body, statusCallback: this.opts.statusCallbackUrl },
        signal,
      );
      return { providerId: msg.sid };
    } catch (err) {
      throw fromTwilioError(err);
    }
  }

  /**
   * Messages from our number to this recipient with this very text, created since `since`. The list
   * is filtered by To and From at Twilio and by date_created here: a DateSent filter would miss a
   * message still queued (Twilio sets date_sent only once it leaves).
   */
  async findSent(n: OutboundNotification, since: Date, signal: AbortSignal): Promise<SendResult[]> {
    const { from, body } = this.wire(n);
    const found: SendResult[] = [];
    try {
      for await (const m of this.opts.client.listMessages(
        { to: n.recipient, from },
        { signal, maxPages: 3 },
      )) {
        if (m.body === body && createdSince(m.date_created, since)) found.push({ providerId: m.sid });
      }
    } catch (err) {
      throw fromTwilioError(err);
    }
    return found;
  }

  private wire(n: OutboundNotification): { from: string; body: string } {
    const whatsapp = n.recipient.startsWith('whatsapp:');
    const from = whatsapp ? this.opts.whatsappFrom : this.opts.from;
    if (!from) throw new PermanentNotificationError('no WhatsApp sender configured');
    const body = n.body.length > MAX_BODY ? `${n.body.slice(0, MAX_BODY - 1)}…` : n.body;
    return { from, body };
  }
}
