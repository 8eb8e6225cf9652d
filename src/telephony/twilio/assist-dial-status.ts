import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Metrics } from '../../http/metrics.js';
import { asCallSid, type BusinessId, type CallSid } from '../../ids.js';
import type { Logger } from '../../shared/index.js';
import { isTerminalStatus } from '../../store/index.js';
import type { StreamTokens } from './stream-token.js';
import { takeMessageTwiml } from './message-taking-twiml.js';
import { aiTakesOverTwiml, hangupTwiml, sayAndHangupTwiml } from './twiml.js';
import { flattenForm, refuseBadParams, type FormBody, type twilioSignatureCheck } from './webhook-request.js';
import { CALL_ALREADY_HANDLED_LINE, NOT_TAKING_CALLS_LINE, TWILIO_CALL_STATUSES } from './webhooks.js';
import { CallSidParam } from './twilio-params.js';

/** Where Twilio asks what next once the assisted `<Dial>` to the business's agent ends. */
export const ASSIST_DIAL_STATUS_PATH = '/twilio/assist/dial-status';

/**
 * How long the agent's phone rings before the AI receptionist takes the call (Twilio's default
 * is 30 s; a caller waiting in silence hangs up sooner, and a voicemail may answer by then).
 */
export const AGENT_RING_SECONDS = 20;

/** `DialCallStatus` values (twilio.com/docs/voice/twiml/dial); `answered` is a conference's. */
export const DIAL_CALL_STATUSES = [
  'completed',
  'answered',
  'busy',
  'no-answer',
  'failed',
  'canceled',
] as const;
export type DialCallStatus = (typeof DIAL_CALL_STATUSES)[number];

/** The outcomes in which no one at the business talked to the customer. */
export const UNANSWERED_DIAL_STATUSES = ['busy', 'no-answer', 'failed', 'canceled'] as const;
export type UnansweredDialStatus = (typeof UNANSWERED_DIAL_STATUSES)[number];

const isUnanswered = (s: DialCallStatus): s is UnansweredDialStatus =>
  (UNANSWERED_DIAL_STATUSES as readonly string[]).includes(s);

/** Said when the dial's call is not one we know (or its record cannot be read): never a 500. */
export const CALL_NOT_CONNECTED_LINE =
  "Sorry, we couldn't connect your call. Please call back in a few minutes. Goodbye.";

/** What the dial-status route needs from the store; app.ts adapts CallsRepo to it. */
export interface AssistDialStatusPorts {
  /**
   * The call the `<Dial>` belonged to: its business, and `finished` when it has ended or already
   * has its media stream (a replayed request must not hand out a second stream). Undefined for
   * a CallSid we never stored.
   */
  findCall(callSid: CallSid): Promise<
    | {
        businessId: BusinessId;
        finished: boolean;
        /** Set when the plan has no voice agent: a message is taken with this greeting instead. */
        messageGreeting?: string | undefined;
      }
    | undefined
  >;
  /**
   * The agent did not pick up: the call is the AI's from now on (`answeredBy` 'ai') and gets the
   * event `agent-unanswered` {dialStatus}, once however often Twilio repeats the request.
   */
  recordAgentUnanswered(c: { callSid: CallSid; dialStatus: UnansweredDialStatus; at: Date }): Promise<void>;
}

export interface AssistDialStatusDeps {
  ports: AssistDialStatusPorts;
  /** The signature check every Twilio route has (webhook-request.ts), per route. */
  checkSignature: ReturnType<typeof twilioSignatureCheck>;
  /** Tokens for the media stream the AI answers on, as /twilio/voice issues them. */
  streamTokens: StreamTokens;
  mediaStreamUrl: string;
  streamStatusUrl: string;
  /** Where Twilio reaches us: the message-taking action's base. */
  publicUrl: string;
  metrics: Metrics;
  log: Logger;
  /** False while the node shuts down: the caller hears the call-back line, not the AI. */
  acceptingCalls(): boolean;
}

/** The `<Dial action>` request (PROTOCOLS.md 3.5): the voice parameters plus the dial's outcome. */
const DialStatusParams = z.looseObject({
  CallSid: CallSidParam,
  DialCallStatus: z.enum(DIAL_CALL_STATUSES, {
    error: (i) =>
      `must be one of Twilio's dial statuses (${DIAL_CALL_STATUSES.join(', ')}), got ${JSON.stringify(String(i.input).slice(0, 40))}`,
  }),
  // The customer's own leg: terminal when they hung up while the agent's phone rang.
  CallStatus: z.enum(TWILIO_CALL_STATUSES).optional(),
  DialCallDuration: z.string().regex(/^\d+$/).optional(),
});

const ROUTE = 'assist-dial-status';

/**
 * POST /twilio/assist/dial-status: the assisted `<Dial>` has ended. A call the agent took is over;
 * one the agent did not pick up goes to the AI receptionist, so no caller is left unanswered.
 */
export function registerAssistDialStatus(app: FastifyInstance, deps: AssistDialStatusDeps): void {
  const { ports, metrics, log } = deps;

  app.post(ASSIST_DIAL_STATUS_PATH, { preHandler: deps.checkSignature(ROUTE) }, async (req, reply) => {
    const parsed = DialStatusParams.safeParse(flattenForm((req.body ?? {}) as FormBody));
    if (!parsed.success) return refuseBadParams(reply, metrics, ROUTE, parsed.error);
    const p = parsed.data;
    const callSid = asCallSid(p.CallSid);
    const dialStatus = p.DialCallStatus;
    const xml = (twiml: string) => reply.type('text/xml').send(twiml);

    if (!isUnanswered(dialStatus)) {
      log.info(
        { callSid, dialStatus, seconds: p.DialCallDuration },
        'assisted call: the agent took it; call over',
      );
      return xml(hangupTwiml());
    }
    if (p.CallStatus && isTerminalStatus(p.CallStatus)) {
      // The customer hung up while the agent's phone rang: Twilio ignores whatever we answer.
      log.info({ callSid, dialStatus }, 'assisted call: the customer left before the agent answered');
      return xml(hangupTwiml());
    }
    if (!deps.acceptingCalls()) {
      metrics.rejectedWebhooks.inc({ route: ROUTE, reason: 'shutting-down' });
      log.info(
        { callSid, dialStatus },
        'agent did not answer and this node is shutting down: call-back line',
      );
      return xml(sayAndHangupTwiml(NOT_TAKING_CALLS_LINE));
    }

    let call: Awaited<ReturnType<AssistDialStatusPorts['findCall']>>;
    try {
      call = await ports.findCall(callSid);
    } catch (err) {
      log.error({ err, callSid }, 'agent did not answer and the call could not be read: apology');
      return xml(sayAndHangupTwiml(CALL_NOT_CONNECTED_LINE));
    }
    if (!call) {
      metrics.rejectedWebhooks.inc({ route: ROUTE, reason: 'unknown-call' });
      log.warn({ callSid, dialStatus }, 'dial status for a call we never stored: apology');
      return xml(sayAndHangupTwiml(CALL_NOT_CONNECTED_LINE));
    }
    if (call.finished) {
      metrics.rejectedWebhooks.inc({ route: ROUTE, reason: 'call-finished' });
      log.warn({ callSid }, 'dial status for a finished or connected call: no stream');
      return xml(sayAndHangupTwiml(CALL_ALREADY_HANDLED_LINE));
    }

    try {
      await ports.recordAgentUnanswered({ callSid, dialStatus, at: new Date() });
    } catch (err) {
      // The caller matters more than the record: the AI still answers.
      log.error({ err, callSid }, 'agent-unanswered not recorded; the AI answers anyway');
    }
    if (call.messageGreeting !== undefined) {
      log.info(
        { callSid, dialStatus },
        'agent did not answer: a message is taken (no voice agent on this plan)',
      );
      return xml(takeMessageTwiml({ publicUrl: deps.publicUrl, greeting: call.messageGreeting }));
    }
    const token = await deps.streamTokens.issue({ callSid, businessId: call.businessId });
    log.info({ callSid, dialStatus }, 'agent did not answer: the AI receptionist takes the call');
    return xml(
      aiTakesOverTwiml({
        streamUrl: deps.mediaStreamUrl,
        parameters: { token },
        statusCallbackUrl: deps.streamStatusUrl,
      }),
    );
  });
}
