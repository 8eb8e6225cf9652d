import type { FastifyInstance } from 'fastify';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { z } from 'zod';
import { ApiError } from '../../http/errors.js';
import type { BusinessId } from '../../ids.js';
import type { Logger } from '../../shared/index.js';
import type { Business } from '../../store/index.js';
import { verifySlackSignature } from './signature.js';

/**
 * Slack's `/call <number>` slash command (POST /slack/commands, form-encoded): places an outbound
 * call for the business linked to the Slack workspace. Slack signs each request with the app's
 * signing secret (signature.ts), so the raw body must reach the check as Slack sent it: these routes
 * live in their own plugin with their own form parser that keeps the string.
 *
 * Slack shows any answer other than 200 as a generic failure, so everything past the signature
 * (a bad number, a refused destination, the rate limit, no Twilio) is a 200 with an ephemeral text
 * only the person who typed the command sees. Slack waits 3 s for the answer: a call Twilio has not
 * confirmed by then is answered "Calling…" and its outcome follows on the command's response_url.
 */

export const SLACK_COMMANDS_PATH = '/slack/commands';

export interface SlackCommandDeps {
  /** SLACK_SIGNING_SECRET; unset: the route does not exist (404). */
  signingSecret: string | undefined;
  /** BusinessesRepo fits: oldest first. */
  businesses: { list(): Promise<Business[]> };
  /**
   * Places the call (the app wires OutboundCalls: channels never import telephony). Refusals are
   * thrown as ApiError, whose message is shown to the person.
   */
  placeCall(businessId: BusinessId, to: string): Promise<{ callSid: string; to: string }>;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Epoch ms (tests move it to check the replay window). */
  now?: () => number;
  /** How long to wait for Twilio before answering Slack "Calling…" (Slack's limit is 3 s). */
  replyWithinMs?: number;
  /** Posts a late outcome to Slack's response_url; default fetch. */
  postResponse?: (url: string, message: SlackMessage) => Promise<void>;
}

export interface SlackMessage {
  response_type: 'ephemeral' | 'in_channel';
  text: string;
}

/** The fields of a slash command we use (Slack sends more: token, names, trigger_id, …). */
const commandSchema = z.looseObject({
  command: z.string().default(''),
  text: z.string().default(''),
  team_id: z.string().default(''),
  user_id: z.string().default(''),
  response_url: z.string().optional(),
});

const slackLink = z.looseObject({ slack: z.looseObject({ teamId: z.string().min(1) }).optional() });

const ephemeral = (text: string): SlackMessage => ({ response_type: 'ephemeral', text });
const USAGE = 'Usage: /call +15551234567 (the number in international form).';
const FORM = 'application/x-www-form-urlencoded';
/** Far more than any slash command (text is capped at 4,000 characters by Slack). */
const BODY_LIMIT = 64 * 1024;

export function registerSlackCommands(app: FastifyInstance, deps: SlackCommandDeps): void {
  const secret = deps.signingSecret;
  if (!secret) return;
  const now = deps.now ?? Date.now;
  const replyWithinMs = deps.replyWithinMs ?? 2500;
  const postResponse = deps.postResponse ?? postToSlack;

  /** The business of a workspace: the one linked to it, else the only one if it is linked to none. */
  const businessOf = async (teamId: string): Promise<Business | undefined> => {
    const all = await deps.businesses.list();
    const teamOf = (b: Business) => {
      const s = slackLink.safeParse(b.settings ?? {});
      return s.success ? s.data.slack?.teamId : undefined;
    };
    const linked = all.find((b) => teamId !== '' && teamOf(b) === teamId);
    if (linked) return linked;
    const [only] = all;
    return all.length === 1 && only && teamOf(only) === undefined ? only : undefined;
  };

  const outcome = (err: unknown): string => {
    if (err instanceof ApiError) return `Could not place the call: ${err.message}`;
    deps.log.error({ err }, 'slack /call failed');
    return 'Could not place the call (internal error).';
  };

  void app.register(async (scope) => {
    // The raw form as Slack sent it: the signature covers these exact bytes.
    scope.removeContentTypeParser(FORM);
    scope.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: BODY_LIMIT }, (_req, body, done) =>
      done(null, body),
    );

    scope.post(SLACK_COMMANDS_PATH, { schema: { hide: true } }, async (req, reply) => {
      const raw = typeof req.body === 'string' ? req.body : '';
      const header = (name: string) => {
        const v = req.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      const check = verifySlackSignature({
        secret,
        signature: header('x-slack-signature'),
        timestamp: header('x-slack-request-timestamp'),
        rawBody: raw,
        now: now(),
      });
      if (!check.ok) {
        req.log.warn({ reason: check.reason }, 'slack command refused: bad signature');
        throw new ApiError(401, 'unauthorized', 'The Slack signature is missing, stale or wrong.');
      }

      const cmd = commandSchema.parse(Object.fromEntries(new URLSearchParams(raw)));
      const number = cmd.text.trim();
      if (cmd.command !== '/call') return ephemeral(`Unknown command ${cmd.command || '(none)'}. ${USAGE}`);
      if (!number) return ephemeral(USAGE);
      const business = await businessOf(cmd.team_id);
      if (!business) return ephemeral('This Slack workspace is not linked to a business.');

      const placing = deps.placeCall(business.id, number).then(
        (call) => {
          deps.log.info(
            { callSid: call.callSid, businessId: business.id, teamId: cmd.team_id, userId: cmd.user_id },
            'slack /call placed a call',
          );
          return `Calling ${readable(call.to)}…`;
        },
        (err: unknown) => outcome(err),
      );
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), replyWithinMs);
      });
      const text = await Promise.race([placing, late]);
      clearTimeout(timer);
      if (text !== undefined) return reply.code(200).send(ephemeral(text));

      // Twilio is slow: answer Slack now, and tell the person how it went when it is known.
      const url = cmd.response_url;
      void placing.then(async (later) => {
        if (!url || !isSlackResponseUrl(url)) return;
        await postResponse(url, ephemeral(later)).catch((err: unknown) =>
          deps.log.warn({ err: (err as Error).message }, 'slack response_url post failed'),
        );
      });
      return reply.code(200).send(ephemeral(`Placing the call to ${number}…`));
    });
  });
}

/** "+1 555-123-4567": the number as a person reads it (country code, then the national groups). */
export function readable(number: string): string {
  const parsed = parsePhoneNumberFromString(number.replace(/^whatsapp:/, ''));
  if (!parsed) return number;
  const [code, ...groups] = parsed.formatInternational().split(' ');
  return groups.length ? `${code} ${groups.join('-')}` : number;
}

/** Slack's response URLs are https on slack.com; anything else is not posted to. */
export function isSlackResponseUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && (u.hostname === 'slack.com' || u.hostname.endsWith('.slack.com'));
  } catch {
    return false;
  }
}

async function postToSlack(url: string, message: SlackMessage): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(message),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`Slack answered ${res.status}`);
}
