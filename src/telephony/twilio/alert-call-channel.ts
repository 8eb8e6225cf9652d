import {
  alertPayloadSchema,
  type NotificationChannel,
  type OutboundNotification,
  type SendResult,
} from '../../notify/index.js';
import { alertAckUrl, alertCallTwiml, alertStatusUrl, announcementTwiml } from './alert-routes.js';
import { createdSince } from './created-since.js';
import { fromTwilioError } from './notification-error.js';
import type { TwilioRestClient } from './rest.js';

export interface TwilioVoiceOptions {
  client: TwilioRestClient;
  /** Caller ID of alert calls: a Twilio number (E.164). */
  from: string;
  /** Public origin for the acknowledgement and status webhooks. */
  publicUrl: string;
  /** Seconds to ring before Twilio reports no-answer. */
  ringTimeoutSec?: number | undefined;
}

/**
 * Places a voice call through Twilio that speaks the notification body. For an escalation's call it
 * asks to press 1 and points the <Gather> and the status callback at the alert routes; otherwise it
 * just says the message twice.
 */
export class TwilioVoiceChannel implements NotificationChannel {
  readonly name = 'twilio-voice';
  constructor(private readonly opts: TwilioVoiceOptions) {}

  async send(n: OutboundNotification, signal: AbortSignal): Promise<SendResult> {
    const alert = alertPayloadSchema.safeParse(n.payload);
    const { publicUrl } = this.opts;
    const params = alert.success
      ? {
          twiml: alertCallTwiml({
            message: n.body,
            ackUrl: alertAckUrl(publicUrl, alert.data.escalationId, alert.data.step),
          }),
          statusCallback: alertStatusUrl(publicUrl, alert.data.escalationId, alert.data.step),
          statusCallbackEvent: ['answered', 'completed'] as const,
        }
      : { twiml: announcementTwiml(n.body) };
    try {
      const call = await this.opts.client.createCall(
        { to: n.recipient, from: this.opts.from, timeout: this.opts.ringTimeoutSec ?? 30, ...params },
        signal,
      );
      return { providerId: call.sid };
    } catch (err) {
      throw fromTwilioError(err);
    }
  }

  /**
   * Cancels a call still queued or ringing (Status=canceled); one already answered is left alone:
   * a person is listening. Twilio refuses to cancel a call past ringing, which is fine here.
   */
  async recall(providerId: string, signal: AbortSignal): Promise<void> {
    try {
      await this.opts.client.updateCall(providerId, { status: 'canceled' }, signal);
    } catch (err) {
      throw fromTwilioError(err);
    }
  }

  /**
   * Calls from our number to this recipient created since `since` that Twilio did place (not
   * failed or canceled). Calls carry no text to match, so the dispatcher skips any SID another
   * outbox row already owns. Filtered by To and From at Twilio, by date_created here: a StartTime
   * filter would miss a call still queued (start_time is set once it is dialled).
   */
  async findSent(n: OutboundNotification, since: Date, signal: AbortSignal): Promise<SendResult[]> {
    const found: SendResult[] = [];
    try {
      const calls = this.opts.client.listCalls(
        { to: n.recipient, from: this.opts.from },
        { signal, maxPages: 3 },
      );
      for await (const c of calls) {
        if (c.status === 'failed' || c.status === 'canceled') continue;
        if (createdSince(c.date_created, since)) found.push({ providerId: c.sid });
      }
    } catch (err) {
      throw fromTwilioError(err);
    }
    return found;
  }
}
