import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import twilio from 'twilio';
import { z } from 'zod';
import { sendError } from '../../http/errors.js';
import type { Logger } from '../../shared/index.js';
import type { Metrics } from '../../http/metrics.js';
import type { SignatureVerifier } from './signature.js';
import { CallSidParam } from './twilio-params.js';

/**
 * Emergency voice alerts on Twilio's side: the TwiML an alert call plays (the alert, then "press 1
 * to acknowledge" in a <Gather>), and the two webhooks it leads to: the <Gather> action that
 * records the acknowledgement, and the call's status callback that reports no-answer/busy early.
 * The escalation itself (who is called next, when) lives behind AlertPorts (src/notify/escalation.ts).
 */

export const ALERT_ACK_PATH = '/twilio/alert-ack';
export const ALERT_STATUS_PATH = '/twilio/alert-status';

/** Action URLs in TwiML sent with a REST call must be absolute (PROTOCOLS.md 3.5). */
export function alertAckUrl(publicUrl: string, escalationId: string, step: number): string {
  return `${publicUrl}${ALERT_ACK_PATH}?e=${encodeURIComponent(escalationId)}&s=${step}`;
}

export function alertStatusUrl(publicUrl: string, escalationId: string, step: number): string {
  return `${publicUrl}${ALERT_STATUS_PATH}?e=${encodeURIComponent(escalationId)}&s=${step}`;
}

/** Twilio refuses inline TwiML over 4000 characters (PROTOCOLS.md 3.5); leave room to spare. */
const MAX_TWIML_CHARS = 3900;

const clip = (text: string, n: number) => (text.length > n ? `${text.slice(0, n)}…` : text);

/** Builds with the message cut shorter until the document fits: XML escaping can grow it fivefold. */
function fitted(message: string, build: (spoken: string) => string): string {
  for (let n = Math.min(message.length, 1500); ; n = Math.floor(n * 0.7)) {
    const twiml = build(clip(message, n));
    if (twiml.length <= MAX_TWIML_CHARS || n === 0) return twiml;
  }
}

/** The alert, asked twice to be acknowledged with 1, then a goodbye (the escalation calls again). */
export function alertCallTwiml(opts: { message: string; ackUrl: string }): string {
  return fitted(opts.message, (spoken) => {
    const response = new twilio.twiml.VoiceResponse();
    for (let i = 0; i < 2; i++) {
      const gather = response.gather({ numDigits: 1, action: opts.ackUrl, method: 'POST', timeout: 6 });
      gather.say(spoken);
      gather.say('Press 1 to acknowledge this alert.');
    }
    response.say('No acknowledgement received. We will keep trying. Goodbye.');
    response.hangup();
    return response.toString();
  });
}

/** A plain spoken notification without acknowledgement: said twice, then hang up. */
export function announcementTwiml(message: string): string {
  return fitted(message, (spoken) => {
    const response = new twilio.twiml.VoiceResponse();
    response.say(spoken);
    response.pause({ length: 1 });
    response.say(spoken);
    response.hangup();
    return response.toString();
  });
}

export type AckResult = 'acknowledged' | 'already-acknowledged' | 'unknown';

/** What the routes need from the escalation; src/notify's AlertEscalations implements it. */
export interface AlertPorts {
  acknowledge(a: { escalationId: string; step: number; callSid: string }): Promise<AckResult>;
  /** A terminal status of an alert call (completed, busy, no-answer, failed, canceled). */
  callEnded(a: { escalationId: string; step: number; callSid: string; status: string }): Promise<unknown>;
  /** The alert's text, to say it again after a wrong key; undefined for an unknown escalation. */
  message(escalationId: string): Promise<string | undefined>;
}

export interface AlertRouteDeps {
  ports: AlertPorts;
  verifier: SignatureVerifier;
  /** Public origin Twilio reaches us at (signatures are over it), without trailing slash. */
  publicUrl: string;
  log: Pick<Logger, 'info' | 'warn'>;
  metrics?: Metrics | undefined;
}

const AlertQuery = z.object({
  e: z.string().uuid(),
  s: z.coerce.number().int().min(0).max(1000),
});
const AckParams = z.looseObject({ CallSid: CallSidParam, Digits: z.string().optional() });
const StatusParams = z.looseObject({ CallSid: CallSidParam, CallStatus: z.string().min(1) });
const TERMINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);

type FormBody = Record<string, string | string[]>;
const flatten = (body: FormBody): Record<string, string> =>
  Object.fromEntries(Object.entries(body).map(([k, v]) => [k, Array.isArray(v) ? (v[0] ?? '') : v]));

const twimlSay = (text: string) => {
  const response = new twilio.twiml.VoiceResponse();
  response.say(text);
  response.hangup();
  return response.toString();
};

export function registerAlertRoutes(app: FastifyInstance, deps: AlertRouteDeps): void {
  const { ports, verifier } = deps;

  const checkSignature = (route: string) => async (req: FastifyRequest, reply: FastifyReply) => {
    const signature = req.headers['x-twilio-signature'];
    const ok = verifier.webhook(
      typeof signature === 'string' ? signature : undefined,
      deps.publicUrl + req.url,
      (req.body ?? {}) as FormBody,
    );
    if (!ok) {
      deps.metrics?.rejectedWebhooks.inc({ route, reason: signature ? 'bad-signature' : 'no-signature' });
      deps.log.warn({ route }, 'Twilio request refused: signature check failed');
      await sendError(reply, 403, 'forbidden', 'The Twilio signature of this request is not valid.');
    }
  };

  const parse = (route: string, req: FastifyRequest) => {
    const query = AlertQuery.safeParse(req.query);
    if (!query.success) {
      deps.metrics?.rejectedWebhooks.inc({ route, reason: 'bad-params' });
      return undefined;
    }
    return query.data;
  };

  app.post(ALERT_ACK_PATH, { preHandler: checkSignature('alert-ack') }, async (req, reply) => {
    const q = parse('alert-ack', req);
    const p = AckParams.safeParse(flatten((req.body ?? {}) as FormBody));
    if (!q || !p.success)
      return sendError(
        reply,
        400,
        'bad_request',
        'The alert callback is missing its alert, step or call fields.',
      );
    if (p.data.Digits === '1') {
      const result = await ports.acknowledge({ escalationId: q.e, step: q.s, callSid: p.data.CallSid });
      deps.log.info({ escalationId: q.e, step: q.s, result }, 'alert acknowledgement');
      return reply
        .type('text/xml')
        .send(
          twimlSay(
            result === 'unknown'
              ? 'This alert is no longer active. Goodbye.'
              : 'Thank you. The alert is acknowledged. Goodbye.',
          ),
        );
    }
    // Another key: say the alert again rather than lose the one person who picked up.
    const message = await ports.message(q.e);
    if (message === undefined)
      return reply.type('text/xml').send(twimlSay('This alert is no longer active. Goodbye.'));
    return reply
      .type('text/xml')
      .send(alertCallTwiml({ message, ackUrl: alertAckUrl(deps.publicUrl, q.e, q.s) }));
  });

  app.post(ALERT_STATUS_PATH, { preHandler: checkSignature('alert-status') }, async (req, reply) => {
    const q = parse('alert-status', req);
    const p = StatusParams.safeParse(flatten((req.body ?? {}) as FormBody));
    if (!q || !p.success)
      return sendError(
        reply,
        400,
        'bad_request',
        'The alert callback is missing its alert, step or call fields.',
      );
    if (TERMINAL.has(p.data.CallStatus)) {
      await ports.callEnded({
        escalationId: q.e,
        step: q.s,
        callSid: p.data.CallSid,
        status: p.data.CallStatus,
      });
    }
    return reply.code(204).send();
  });
}
