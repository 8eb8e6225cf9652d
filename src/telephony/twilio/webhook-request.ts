import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { sendError, validationFailed } from '../../http/errors.js';
import type { Metrics } from '../../http/metrics.js';
import type { Logger } from '../../shared/index.js';
import type { SignatureVerifier } from './signature.js';

/** What every signed Twilio webhook route shares: the signature check, form values, the 400. */

export type FormBody = Record<string, string | string[]>;

/** Form values as single strings (Twilio sends each voice parameter once). */
export function flattenForm(body: FormBody): Record<string, string> {
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, Array.isArray(v) ? (v[0] ?? '') : v]));
}

export interface SignatureCheckDeps {
  verifier: SignatureVerifier;
  /** Our public origin as Twilio calls it: the signed URL is rebuilt from it, never from headers. */
  publicUrl: string;
  metrics: Metrics;
  log: Pick<Logger, 'warn'>;
}

/**
 * A preHandler per route: the signature over the public URL exactly as Twilio requested it and
 * every form parameter; a request that fails gets 403 in the API's one error shape.
 */
export function twilioSignatureCheck(deps: SignatureCheckDeps) {
  return (route: string) => async (req: FastifyRequest, reply: FastifyReply) => {
    const body = (req.body ?? {}) as FormBody;
    const url = deps.publicUrl + req.url;
    const signature = req.headers['x-twilio-signature'];
    if (!deps.verifier.webhook(typeof signature === 'string' ? signature : undefined, url, body)) {
      deps.metrics.rejectedWebhooks.inc({ route, reason: signature ? 'bad-signature' : 'no-signature' });
      deps.log.warn({ route }, 'Twilio request refused: signature check failed');
      await sendError(reply, 403, 'forbidden', 'The Twilio signature of this request is not valid.');
    }
  };
}

/** 400 in the API's one error shape; nothing from the request is stored. */
export async function refuseBadParams(
  reply: FastifyReply,
  metrics: Metrics,
  route: string,
  error: z.ZodError,
): Promise<void> {
  metrics.rejectedWebhooks.inc({ route, reason: 'bad-params' });
  const e = validationFailed(error, 'Twilio request');
  await sendError(reply, 400, e.code, e.message, e.details);
}
