import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { NotificationChannel, OutboundNotification, SendResult } from '../channel.js';
import { PermanentNotificationError, RetryableNotificationError } from '../errors.js';
import { mailFor } from './email-message.js';

export interface SmtpChannelOptions {
  /** smtp://user:pass@host:587 or smtps://user:pass@host:465 */
  url: string;
  /** From address, e.g. "Switchboard <alerts@example.com>". */
  from: string;
  /** Connection, greeting and socket timeouts, ms. */
  timeoutMs?: number | undefined;
}

/** Email over SMTP with nodemailer (pooled connection). */
export class SmtpEmailChannel implements NotificationChannel {
  readonly name = 'smtp';
  private readonly transport: Transporter<SMTPTransport.SentMessageInfo>;

  constructor(private readonly opts: SmtpChannelOptions) {
    const timeout = opts.timeoutMs ?? 20_000;
    this.transport = nodemailer.createTransport({
      url: opts.url,
      pool: true,
      maxConnections: 3,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
    } as SMTPTransport.Options);
  }

  async send(n: OutboundNotification, signal: AbortSignal): Promise<SendResult> {
    signal.throwIfAborted();
    // nodemailer takes no AbortSignal: race it, so a stuck server cannot hold the dispatcher.
    const aborted = new Promise<never>((_, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    });
    try {
      const info = await Promise.race([this.transport.sendMail(mailFor(n, this.opts.from)), aborted]);
      if (info.rejected.length > 0 && info.accepted.length === 0) {
        throw new PermanentNotificationError(`SMTP server refused the recipient: ${info.response}`);
      }
      return { providerId: info.messageId };
    } catch (err) {
      throw classifySmtpError(err);
    }
  }

  close(): void {
    this.transport.close();
  }
}

/** SMTP replies: 4xx try again later, 5xx never. Connection trouble: later. Anything else: later. */
export function classifySmtpError(err: unknown): unknown {
  if (err instanceof PermanentNotificationError || err instanceof RetryableNotificationError) return err;
  const e = err as { code?: string; responseCode?: number; message?: string; name?: string };
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return err;
  const message = `SMTP: ${e.message ?? String(err)}`;
  if (typeof e.responseCode === 'number') {
    const opts = { code: `smtp-${e.responseCode}`, cause: err };
    return e.responseCode >= 500
      ? new PermanentNotificationError(message, opts)
      : new RetryableNotificationError(message, opts);
  }
  if (e.code === 'EENVELOPE' || e.code === 'EMESSAGE') {
    return new PermanentNotificationError(message, { code: e.code, cause: err });
  }
  // Connection trouble (ECONNECTION, ETIMEDOUT, ESOCKET, EDNS) and also EAUTH: bad credentials
  // are fixed by the operator, and the alert should still go out then. The server may have taken
  // the message before the connection broke; the resend carries the same Message-ID.
  return new RetryableNotificationError(message, { code: e.code, cause: err, maybeDelivered: true });
}
