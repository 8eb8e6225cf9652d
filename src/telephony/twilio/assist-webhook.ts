import type { FastifyInstance } from 'fastify';
import { maskPhone } from '../../http/logger.js';
import type { Metrics } from '../../http/metrics.js';
import { asCallSid, parseE164, type BusinessId, type CallSid, type E164 } from '../../ids.js';
import type { Logger } from '../../shared/index.js';
import {
  AGENT_RING_SECONDS,
  ASSIST_DIAL_STATUS_PATH,
  registerAssistDialStatus,
  type AssistDialStatusPorts,
} from './assist-dial-status.js';
import type { AssistTokens } from './assist-token.js';
import type { SignatureVerifier } from './signature.js';
import type { StreamTokens } from './stream-token.js';
import { takeMessageTwiml } from './message-taking-twiml.js';
import { assistedDialTwiml, connectStreamTwiml, sayAndHangupTwiml, unknownNumberTwiml } from './twiml.js';
import { flattenForm, refuseBadParams, twilioSignatureCheck, type FormBody } from './webhook-request.js';
import {
  CALL_ALREADY_HANDLED_LINE,
  NOT_TAKING_CALLS_LINE,
  VoiceParams,
  type TwilioCallDirection,
  type TwilioCallStatus,
} from './webhooks.js';

/** The path of the voice webhook for numbers a business answers itself, with assist listening. */
export const ASSIST_VOICE_PATH = '/twilio/assist/voice';

/**
 * What the assisted voice webhook and its dial-status route (the agent did not answer: the AI
 * takes the call) need from the rest of the system; app.ts adapts the store.
 */
export interface AssistWebhookPorts extends AssistDialStatusPorts {
  /**
   * The business that owns the number called (`To`, as Twilio sent it), and the number its
   * people answer on: the profile's `agentNumber`, else its `transferNumber`, else undefined.
   */
  findBusinessByNumber(to: string): Promise<
    | {
        id: BusinessId;
        agentNumber: E164 | undefined;
        /** Set when the plan has no voice agent: the AI takes a message with this greeting instead. */
        messageGreeting?: string | undefined;
      }
    | undefined
  >;
  /**
   * Stores the call, idempotently (Twilio retries webhooks): `answeredBy` 'human' when the call
   * rings the agent, 'ai' when the AI takes it instead. `finished` when the CallSid is known and
   * its call has ended or already has its stream (assist stream for 'human', media stream for
   * 'ai'): a replayed webhook must not hand out a stream again.
   */
  recordInboundCall(call: {
    callSid: CallSid;
    businessId: BusinessId;
    from: string;
    to: string;
    direction: TwilioCallDirection;
    status: TwilioCallStatus;
    answeredBy: 'human' | 'ai';
  }): Promise<{ state: 'new' | 'retry' | 'finished' }>;
}

export interface AssistWebhookDeps {
  ports: AssistWebhookPorts;
  verifier: SignatureVerifier;
  /** Tokens for the assist stream (the call rings a person). */
  assistTokens: AssistTokens;
  /** Tokens for the media stream (no one to ring: the AI answers, as on /twilio/voice). */
  streamTokens: StreamTokens;
  publicUrl: string;
  /** Config.assist.streamUrl: where Twilio sends the two-track stream. */
  assistStreamUrl: string;
  /** The media stream URL /twilio/voice answers with. */
  mediaStreamUrl: string;
  metrics: Metrics;
  log: Logger;
  /** False while the node shuts down: new calls are told to call back, not connected. */
  acceptingCalls(): boolean;
}

/**
 * POST /twilio/assist/voice: for numbers the business answers itself. The customer's call rings
 * the business's agent while assist listens to both sides; a business with no one to ring gets
 * its AI receptionist instead, and so does a call the agent does not pick up (POST
 * /twilio/assist/dial-status, registered here too), so a caller is never dropped.
 */
export function registerAssistWebhook(app: FastifyInstance, deps: AssistWebhookDeps): void {
  const { metrics, ports, log } = deps;
  const checkSignature = twilioSignatureCheck({
    verifier: deps.verifier,
    publicUrl: deps.publicUrl,
    metrics,
    log,
  });
  const streamStatusUrl = `${deps.publicUrl}/twilio/stream-status`;
  const dialStatusUrl = `${deps.publicUrl}${ASSIST_DIAL_STATUS_PATH}`;

  registerAssistDialStatus(app, {
    ports,
    checkSignature,
    streamTokens: deps.streamTokens,
    mediaStreamUrl: deps.mediaStreamUrl,
    streamStatusUrl,
    publicUrl: deps.publicUrl,
    metrics,
    log,
    acceptingCalls: deps.acceptingCalls,
  });

  app.post(ASSIST_VOICE_PATH, { preHandler: checkSignature('assist-voice') }, async (req, reply) => {
    const parsed = VoiceParams.safeParse(flattenForm((req.body ?? {}) as FormBody));
    if (!parsed.success) return refuseBadParams(reply, metrics, 'assist-voice', parsed.error);
    const p = parsed.data;
    const callSid = asCallSid(p.CallSid);
    const xml = (twiml: string) => reply.type('text/xml').send(twiml);
    if (!deps.acceptingCalls()) {
      metrics.rejectedWebhooks.inc({ route: 'assist-voice', reason: 'shutting-down' });
      log.info({ callSid }, 'assisted call declined: shutting down');
      return xml(sayAndHangupTwiml(NOT_TAKING_CALLS_LINE));
    }
    const business = await ports.findBusinessByNumber(p.To);
    if (!business) {
      log.info({ to: maskPhone(p.To) }, 'assisted call to a number no business owns');
      return xml(unknownNumberTwiml());
    }
    const called = parseE164(p.To);
    // Dialling the number that was called would ring this webhook again, for ever.
    const agentNumber = business.agentNumber === called ? undefined : business.agentNumber;
    const { state } = await ports.recordInboundCall({
      callSid,
      businessId: business.id,
      from: p.From,
      to: p.To,
      direction: p.Direction,
      status: p.CallStatus,
      answeredBy: agentNumber ? 'human' : 'ai',
    });
    if (state === 'finished') {
      metrics.rejectedWebhooks.inc({ route: 'assist-voice', reason: 'call-finished' });
      log.warn({ callSid }, 'assisted voice webhook for a finished or connected call: no stream');
      return xml(sayAndHangupTwiml(CALL_ALREADY_HANDLED_LINE));
    }

    if (!agentNumber) {
      log.warn(
        {
          callSid,
          businessId: business.id,
          reason: business.agentNumber ? 'agent-number-loops' : 'no-agent-number',
        },
        'assisted call with no one to ring: the AI receptionist answers',
      );
      if (business.messageGreeting !== undefined)
        return xml(takeMessageTwiml({ publicUrl: deps.publicUrl, greeting: business.messageGreeting }));
      const token = await deps.streamTokens.issue({ callSid, businessId: business.id });
      return xml(
        connectStreamTwiml({
          streamUrl: deps.mediaStreamUrl,
          parameters: { token },
          statusCallbackUrl: streamStatusUrl,
        }),
      );
    }

    const token = await deps.assistTokens.issue({ callSid, businessId: business.id, source: 'dial' });
    log.info(
      { callSid, from: maskPhone(p.From), state },
      'assisted call rings the business with assist listening',
    );
    return xml(
      assistedDialTwiml({
        assistStream: { url: deps.assistStreamUrl, token, statusCallbackUrl: streamStatusUrl },
        number: agentNumber,
        ...(called ? { callerId: called } : {}),
        onDialEnd: { actionUrl: dialStatusUrl, timeoutSeconds: AGENT_RING_SECONDS },
      }),
    );
  });
}
