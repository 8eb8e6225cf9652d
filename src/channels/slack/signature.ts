import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Slack's request signature (api.slack.com/authentication/verifying-requests-from-slack):
 * `X-Slack-Signature: v0=` + hex HMAC-SHA256 of `v0:<X-Slack-Request-Timestamp>:<raw body>` under the
 * app's signing secret. The timestamp must be within five minutes of now, so a captured request
 * cannot be replayed later; the comparison takes the same time whatever the bytes.
 */

export const SLACK_SIGNATURE_VERSION = 'v0';
/** Slack's own advice: refuse requests more than five minutes old (or ahead). */
export const SLACK_MAX_SKEW_SECONDS = 5 * 60;

export function slackSignature(secret: string, timestamp: string, rawBody: string): string {
  const mac = createHmac('sha256', secret).update(`${SLACK_SIGNATURE_VERSION}:${timestamp}:${rawBody}`);
  return `${SLACK_SIGNATURE_VERSION}=${mac.digest('hex')}`;
}

export type SlackSignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'mismatch' };

export function verifySlackSignature(input: {
  secret: string;
  signature: string | undefined;
  timestamp: string | undefined;
  rawBody: string;
  /** Epoch ms. */
  now: number;
}): SlackSignatureCheck {
  const { signature, timestamp } = input;
  if (!signature || !timestamp || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'missing' };
  if (Math.abs(input.now / 1000 - Number(timestamp)) > SLACK_MAX_SKEW_SECONDS)
    return { ok: false, reason: 'stale' };
  const expected = Buffer.from(slackSignature(input.secret, timestamp, input.rawBody), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  // timingSafeEqual needs equal lengths; a length differing says nothing about the secret.
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'mismatch' };
  return { ok: true };
}
