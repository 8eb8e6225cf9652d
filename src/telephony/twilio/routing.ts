import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import twilio from 'twilio';
import { z } from 'zod';
import { phoneMenuOf } from '../../business/index.js';
import type { Metrics } from '../../http/metrics.js';
import { maskPhone } from '../../http/logger.js';
import { asCallSid, type CallSid } from '../../ids.js';
import type { Logger } from '../../shared/index.js';
import type { Business } from '../../store/index.js';
import { takeMessageTwiml } from './message-taking-twiml.js';
import { DIAL_STATUS_PATH, menuTwiml, ROUTING_PATH } from './phone-menu.js';
import { dialTwiml, hangupTwiml, unknownNumberTwiml } from './twiml.js';
import { flattenForm, refuseBadParams, type FormBody } from './webhook-request.js';
import { CallSidParam } from './twilio-params.js';

/**
 * POST /twilio/routing: the key a caller pressed in the phone menu (<Gather> action, PROTOCOLS.md
 * 3.3). A person's number is dialled (and when nobody answers, /twilio/routing/dial-status hands
 * the caller to the assistant), the assistant is connected as staying on the line would, or a
 * message is taken. An unknown key hears the menu once more, then reaches the assistant.
 */

export const NOT_AN_OPTION_LINE = 'Sorry, that is not an option.';
export const NOBODY_ANSWERED_LINE = "Sorry, nobody could take your call just now. I'll help you instead.";
/** How long a dialled person's phone rings before the caller goes to the assistant. */
export const DIAL_TIMEOUT_SECONDS = 20;
/** Menu tries before an unknown key goes straight to the assistant. */
const MENU_ATTEMPTS = 2;

/** What the call hears once it is through the menu, or at once without one. */
export interface CallToAnswer {
  callSid: CallSid;
  business: Business;
  from: string;
  to: string;
}

export interface RoutingDeps {
  findBusinessByNumber(number: string): Promise<Business | undefined>;
  /** What the voice webhook answers without a menu (stream, record-and-reply or message taking). */
  answerWithoutMenu(call: CallToAnswer): Promise<string>;
  publicUrl: string;
  /** The voice webhooks' signature check (one per route name). */
  checkSignature(route: string): (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  metrics: Metrics;
  log: Logger;
}

const RoutingParams = z.looseObject({
  CallSid: CallSidParam,
  From: z.string().default(''),
  To: z.string().min(1),
  Direction: z.string().default('inbound'),
  Digits: z.string().default(''),
});

const DialStatusParams = RoutingParams.extend({
  DialCallStatus: z.string().default(''),
});

const AttemptQuery = z.object({
  attempt: z.coerce.number().int().min(1).max(MENU_ATTEMPTS).catch(MENU_ATTEMPTS).default(1),
});

/** Statuses of a <Dial> in which the caller talked to nobody (PROTOCOLS.md 3.5, Twilio's <Dial>). */
const NOT_CONNECTED = new Set(['no-answer', 'busy', 'failed', 'canceled']);

export function registerRoutingRoutes(app: FastifyInstance, deps: RoutingDeps): void {
  /** The business and call as the voice webhook saw them: ours is To, or From on a call we placed. */
  const callOf = async (p: z.infer<typeof RoutingParams>): Promise<CallToAnswer | undefined> => {
    const ours = p.Direction === 'outbound-api' ? p.From : p.To;
    const business = await deps.findBusinessByNumber(ours.replace(/^whatsapp:/, ''));
    return business ? { callSid: asCallSid(p.CallSid), business, from: p.From, to: p.To } : undefined;
  };

  app.post(ROUTING_PATH, { preHandler: deps.checkSignature('routing') }, async (req, reply) => {
    const parsed = RoutingParams.safeParse(flattenForm((req.body ?? {}) as FormBody));
    if (!parsed.success) return refuseBadParams(reply, deps.metrics, 'routing', parsed.error);
    const p = parsed.data;
    const { attempt } = AttemptQuery.parse(req.query ?? {});
    const xml = (twiml: string) => reply.type('text/xml').send(twiml);
    const call = await callOf(p);
    if (!call) {
      deps.log.info({ to: maskPhone(p.To) }, 'menu key for a number no business owns');
      return xml(unknownNumberTwiml());
    }
    const menu = phoneMenuOf(call.business.settings);
    const option = menu?.options.find((o) => o.digit === p.Digits);
    deps.log.info(
      { callSid: call.callSid, key: p.Digits || 'none', action: option?.action ?? 'unknown' },
      'phone menu key',
    );
    if (!menu || !p.Digits) return xml(await deps.answerWithoutMenu(call));
    if (!option) {
      const assistant = await deps.answerWithoutMenu(call);
      if (attempt < MENU_ATTEMPTS)
        return xml(
          menuTwiml({
            publicUrl: deps.publicUrl,
            menu,
            before: NOT_AN_OPTION_LINE,
            attempt: attempt + 1,
            then: assistant,
          }),
        );
      return xml(prependSay(NOT_AN_OPTION_LINE, assistant));
    }
    switch (option.action) {
      case 'dial':
        return xml(
          dialTwiml({
            say: `Connecting you to ${option.label}.`,
            number: option.number,
            // The business's own number: the person sees who the call is for.
            ...(call.to.startsWith('+') ? { callerId: call.to } : {}),
            onDialEnd: {
              actionUrl: `${deps.publicUrl}${DIAL_STATUS_PATH}`,
              timeoutSeconds: DIAL_TIMEOUT_SECONDS,
            },
          }),
        );
      case 'assistant':
        return xml(await deps.answerWithoutMenu(call));
      case 'message':
        return xml(takeMessageTwiml({ publicUrl: deps.publicUrl, greeting: '' }));
    }
  });

  app.post(
    DIAL_STATUS_PATH,
    { preHandler: deps.checkSignature('routing-dial-status') },
    async (req, reply) => {
      const parsed = DialStatusParams.safeParse(flattenForm((req.body ?? {}) as FormBody));
      if (!parsed.success) return refuseBadParams(reply, deps.metrics, 'routing-dial-status', parsed.error);
      const p = parsed.data;
      const xml = (twiml: string) => reply.type('text/xml').send(twiml);
      // They talked (or the caller hung up while it rang): the call is over.
      if (!NOT_CONNECTED.has(p.DialCallStatus)) return xml(hangupTwiml());
      const call = await callOf(p);
      if (!call) return xml(unknownNumberTwiml());
      deps.log.info(
        { callSid: call.callSid, dialStatus: p.DialCallStatus },
        'menu dial not answered: the assistant takes the call',
      );
      return xml(prependSay(NOBODY_ANSWERED_LINE, await deps.answerWithoutMenu(call)));
    },
  );
}

/** `line` said before the verbs of a TwiML document. */
function prependSay(line: string, document: string): string {
  const said = new twilio.twiml.VoiceResponse();
  said.say(line);
  const body = /<Response>([\s\S]*)<\/Response>/.exec(document)?.[1] ?? '';
  return said.toString().replace(/<\/Response>\s*$/, `${body}</Response>`);
}
