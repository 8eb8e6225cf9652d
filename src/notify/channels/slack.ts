import type { NotificationChannel, OutboundNotification, SendResult } from '../channel.js';
import { PermanentNotificationError, RetryableNotificationError } from '../errors.js';
import { deadline } from '../../shared/index.js';

export interface SlackChannelOptions {
  fetch?: typeof fetch | undefined;
  timeoutMs?: number | undefined;
}

/**
 * Slack incoming webhook: POST {"text": …} as JSON to the URL in the recipient. Slack answers 200
 * "ok"; 4xx with a reason word (invalid_payload, no_service, channel_is_archived) is final; 429
 * (with Retry-After) and 5xx are worth another try.
 */
export class SlackWebhookChannel implements NotificationChannel {
  readonly name = 'slack';
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly opts: SlackChannelOptions = {}) {
    this.fetchImpl = opts.fetch ?? fetch;
  }

  async send(n: OutboundNotification, signal: AbortSignal): Promise<SendResult> {
    const text = n.subject ? `*${n.subject}*\n${n.body}` : n.body;
    const timeout = deadline(this.opts.timeoutMs ?? 15_000, signal);
    let res: Response;
    try {
      res = await this.fetchImpl(n.recipient, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
        signal: timeout.signal,
      });
    } catch (err) {
      timeout.clear();
      if (signal.aborted) throw err;
      // Slack's incoming webhooks have no idempotency key and cannot be asked what they posted:
      // an unanswered post is sent again (a possible duplicate beats a lost alert).
      throw new RetryableNotificationError(`Slack webhook unreachable: ${(err as Error).message}`, {
        cause: err,
        maybeDelivered: true,
      });
    }
    const reply = (await res.text().catch(() => '')).slice(0, 200);
    timeout.clear();
    if (res.ok) return {};
    const code = `http-${res.status}`;
    if (res.status === 429 || res.status >= 500) {
      const after = Number(res.headers.get('retry-after'));
      throw new RetryableNotificationError(`Slack ${res.status}: ${reply}`, {
        code,
        retryAfterMs: Number.isFinite(after) && after > 0 ? after * 1000 : undefined,
      });
    }
    throw new PermanentNotificationError(`Slack ${res.status}: ${reply}`, { code });
  }
}
