import type { NotificationCause, NotificationKind } from '../store/schema/index.js';

/** One notification as a channel sees it when it is time to send it. */
export interface OutboundNotification {
  id: string;
  businessId: string;
  kind: NotificationKind;
  recipient: string;
  subject: string | null;
  body: string;
  payload: Record<string, unknown>;
  cause: NotificationCause;
  causeId: string | null;
  callSid: string | null;
  /** 1 on the first attempt. */
  attempt: number;
  createdAt: Date;
}

export interface SendResult {
  /** The provider's id for what it accepted (Twilio SID, SMTP message id). */
  providerId?: string | undefined;
}

/**
 * One way of delivering notifications. `send` resolves once the provider has accepted the message
 * and throws a NotificationError (retryable or permanent) when it has not; it gives up when `signal`
 * aborts (the dispatcher's send timeout, or shutdown).
 */
export interface NotificationChannel {
  /** Short name shown in logs and attempts, e.g. "twilio-sms", "local". */
  readonly name: string;
  send(n: OutboundNotification, signal: AbortSignal): Promise<SendResult>;
  /**
   * What the provider holds that may be `n` sent by an attempt started at or after `since` (whose
   * answer never came), newest first; empty when nothing matches. Only for providers that can be
   * asked (Twilio's message and call lists); without it an unconfirmed send is sent again.
   */
  findSent?(n: OutboundNotification, since: Date, signal: AbortSignal): Promise<SendResult[]>;
  /**
   * Takes back what a send placed after its row was cancelled while the send was in flight (an
   * alert call superseded by an acknowledgement or the next step), where the provider allows it.
   */
  recall?(providerId: string, signal: AbortSignal): Promise<void>;
}

/** Which channel delivers each kind. */
export type ChannelMap = Record<NotificationKind, NotificationChannel>;
