import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Logger } from '../../shared/index.js';
import { maskPhone } from '../../http/logger.js';
import type { Metrics } from '../../http/metrics.js';
import type { BusinessId, CallSid } from '../../ids.js';
import { asCallSid } from '../../ids.js';
import { phoneMenuOf, planAllows, profileFromStored } from '../../business/index.js';
import { CALL_STATUSES, type Business, type CallStatus } from '../../store/index.js';
import { atCapacity, linesBusyLine, OVER_CAPACITY, type CallCapacity } from './call-capacity.js';
import { greetingForMessage } from './message-taking.js';
import { takeMessageTwiml } from './message-taking-twiml.js';
import type { SignatureVerifier } from './signature.js';
import type { StreamTokens } from './stream-token.js';
import { menuTwiml } from './phone-menu.js';
import { recordReplyAnswer, registerRecordReplyRoute, type RecordReplyDeps } from './record-reply.js';
import { STREAM_ENDED_PATH } from './record-reply-twiml.js';
import { registerRoutingRoutes, type CallToAnswer } from './routing.js';
import { registerStreamEndedRoute } from './stream-ended.js';
import { connectStreamTwiml, sayAndHangupTwiml, unknownNumberTwiml } from './twiml.js';
import { flattenForm, refuseBadParams, twilioSignatureCheck, type FormBody } from './webhook-request.js';
import { AddressParam, CallSidParam } from './twilio-params.js';

/**
 * Twilio's call status vocabulary (PROTOCOLS.md 3.1 and 3.2), the one list the store keeps:
 * anything else is refused, not stored.
 */
export const TWILIO_CALL_STATUSES = CALL_STATUSES;
export type TwilioCallStatus = CallStatus;

export const TWILIO_CALL_DIRECTIONS = ['inbound', 'outbound-api', 'outbound-dial'] as const;
export type TwilioCallDirection = (typeof TWILIO_CALL_DIRECTIONS)[number];

/** Said to callers while this node shuts down: Twilio plays it and hangs up (no error tone). */
export const NOT_TAKING_CALLS_LINE =
  "Sorry, we can't take your call right now. Please call back in a few minutes. Goodbye.";
/** Said when the voice webhook for a call that already ended or is already connected is replayed. */
export const CALL_ALREADY_HANDLED_LINE = 'This call has already been handled. Goodbye.';

/** What the webhooks need from the rest of the system; app.ts adapts the store to it. */
export interface VoiceWebhookPorts {
  /** The whole business: its plan decides who answers, its profile what a message-taking call hears. */
  findBusinessByNumber(to: string): Promise<Business | undefined>;
  /**
   * Idempotent: Twilio retries webhooks. `finished` when the CallSid is known and its call has
   * ended or already has its media stream: a replayed webhook must not start it again.
   */
  recordInboundCall(call: {
    callSid: CallSid;
    businessId: BusinessId;
    from: string;
    to: string;
    direction: TwilioCallDirection;
    status: TwilioCallStatus;
    channel: 'phone' | 'whatsapp';
  }): Promise<{ state: 'new' | 'retry' | 'finished' }>;
  /** Returns false when the call is unknown. */
  recordStatus(s: {
    callSid: CallSid;
    status: TwilioCallStatus;
    source: 'voice-webhook' | 'status-callback';
    sequenceNumber: number | undefined;
    params: Record<string, string>;
    at: Date;
  }): Promise<boolean>;
  /** `name`: the stream's name when our TwiML gave it one (the assist stream's is 'switchboard-assist'). */
  recordStreamStatus(s: {
    callSid: CallSid;
    event: string;
    error?: string;
    name?: string;
    at: Date;
  }): Promise<void>;
  /**
   * Why a call this node turned away ended (e.g. over-capacity), kept on its row; absent: only
   * the log and the metric say it.
   */
  recordEndReason?(callSid: CallSid, reason: string): Promise<void>;
}

export interface VoiceWebhookDeps {
  ports: VoiceWebhookPorts;
  verifier: SignatureVerifier;
  tokens: StreamTokens;
  publicUrl: string;
  streamUrl: string;
  metrics: Metrics;
  log: Logger;
  /** False while the node shuts down: new calls are told to call back, not connected. */
  acceptingCalls(): boolean;
  /** MAX_CONCURRENT_CALLS: a node that holds that many live calls answers new ones "lines busy". */
  capacity?: CallCapacity;
  /**
   * Record-and-reply (/process-voice, /twilio/stream-ended): with it, a business with media
   * streams off, or a node that cannot listen, answers on <Record>; and a stream that ends
   * without its session ending the call hands the caller to it. Without it, calls are streamed
   * as before and nothing follows the stream.
   */
  recordReply?: VoiceRecordReplyDeps;
}

export type VoiceRecordReplyDeps = Omit<RecordReplyDeps, 'verifier' | 'publicUrl' | 'metrics' | 'log'> & {
  /** False when no recognizer loaded (the STT chain is empty): a stream would hear nobody. */
  canListen(): boolean;
  /** The stream-ended route's wait for the session's end to be written, default 2 s. */
  endWaitMs?: number;
};

const CallStatusParam = z.enum(TWILIO_CALL_STATUSES, {
  error: (i) =>
    `must be one of Twilio's call statuses (${TWILIO_CALL_STATUSES.join(', ')}), got ${JSON.stringify(String(i.input).slice(0, 40))}`,
});

/** The parameters of a voice webhook (PROTOCOLS.md 3.1): /twilio/voice and /twilio/assist/voice. */
export const VoiceParams = z.looseObject({
  CallSid: CallSidParam,
  AccountSid: z.string().min(1),
  From: AddressParam.default(''),
  To: AddressParam.min(1),
  CallStatus: CallStatusParam.default('ringing'),
  Direction: z
    .enum(TWILIO_CALL_DIRECTIONS, { error: `must be one of ${TWILIO_CALL_DIRECTIONS.join(', ')}` })
    .default('inbound'),
});

const StatusParams = z.looseObject({
  CallSid: CallSidParam,
  CallStatus: CallStatusParam,
  SequenceNumber: z.string().regex(/^\d+$/).optional(),
  Timestamp: z.string().optional(),
});

const StreamStatusParams = z.looseObject({
  CallSid: CallSidParam,
  StreamEvent: z.string().min(1),
  StreamError: z.string().optional(),
  StreamName: z.string().optional(),
  StreamSid: z.string().optional(),
  Timestamp: z.string().optional(),
});

export function registerVoiceWebhooks(app: FastifyInstance, deps: VoiceWebhookDeps): void {
  const { verifier, metrics, ports } = deps;

  /** Every Twilio route: signature over the public URL exactly as Twilio requested it. */
  const checkSignature = twilioSignatureCheck({
    verifier,
    publicUrl: deps.publicUrl,
    metrics,
    log: deps.log,
  });
  const badRequest = (reply: FastifyReply, route: string, error: z.ZodError) =>
    refuseBadParams(reply, metrics, route, error);

  /**
   * One call's first webhook, on the phone line or WhatsApp (whose addresses are whatsapp:+E164):
   * the business is the one that owns our side of the call, the To of an inbound call and the From
   * of one we placed (POST /phone/call, /whatsapp/call).
   */
  const answerCall = async (req: FastifyRequest, reply: FastifyReply, channel: 'phone' | 'whatsapp') => {
    const route = channel === 'phone' ? 'voice' : 'whatsapp-voice';
    const parsed = VoiceParams.safeParse(flattenForm((req.body ?? {}) as FormBody));
    if (!parsed.success) return badRequest(reply, route, parsed.error);
    const p = parsed.data;
    const callSid = asCallSid(p.CallSid);
    if (!deps.acceptingCalls()) {
      // Shutting down: a 503 would make Twilio play its "application error" (or hit a fallback URL
      // the owner may not have); a spoken apology and a hang-up is what the caller should hear.
      metrics.rejectedWebhooks.inc({ route, reason: 'shutting-down' });
      deps.log.info({ callSid }, 'call declined: shutting down');
      return reply.type('text/xml').send(sayAndHangupTwiml(NOT_TAKING_CALLS_LINE));
    }
    const ours = p.Direction === 'outbound-api' ? p.From : p.To;
    const business = await ports.findBusinessByNumber(withoutChannelPrefix(ours));
    if (!business) {
      deps.log.info({ to: maskPhone(ours), channel }, 'call to a number no business owns');
      return reply.type('text/xml').send(unknownNumberTwiml());
    }
    const { state } = await ports.recordInboundCall({
      callSid,
      businessId: business.id,
      from: p.From,
      to: p.To,
      direction: p.Direction,
      status: p.CallStatus,
      channel,
    });
    if (state === 'finished') {
      // A replay (or a late retry) for a call that is over or connected: no new stream token.
      metrics.rejectedWebhooks.inc({ route, reason: 'call-finished' });
      deps.log.warn({ callSid }, 'voice webhook for a finished or connected call: no stream');
      return reply.type('text/xml').send(sayAndHangupTwiml(CALL_ALREADY_HANDLED_LINE));
    }
    if (atCapacity(deps.capacity)) {
      // Full: a spoken "call back" in the business's name, as during a shutdown, not a ring-out.
      metrics.refusedCalls.inc({ reason: OVER_CAPACITY, at: 'webhook' });
      deps.log.warn(
        { callSid, liveCalls: deps.capacity?.live(), maxConcurrentCalls: deps.capacity?.max },
        'call declined: this node is at MAX_CONCURRENT_CALLS',
      );
      await ports
        .recordEndReason?.(callSid, OVER_CAPACITY)
        .catch((err: unknown) => deps.log.warn({ err, callSid }, 'could not record why a call was declined'));
      return reply.type('text/xml').send(sayAndHangupTwiml(linesBusyLine(business.name)));
    }
    const call: CallToAnswer = { callSid, business, from: p.From, to: p.To };
    const answer = await answerWithoutMenu(call);
    const menu = phoneMenuOf(business.settings);
    if (!menu) return reply.type('text/xml').send(answer);
    deps.log.info({ callSid, options: menu.options.length }, 'incoming call answered with the phone menu');
    // The greeting without its "press 1 for emergencies" clause: the keys are the menu's now.
    const greeting = greetingForMessage(profileFromStored(business).profile, new Date());
    return reply
      .type('text/xml')
      .send(menuTwiml({ publicUrl: deps.publicUrl, menu, before: greeting, then: answer }));
  };

  /**
   * The call's answer without a menu: message taking on a plan without the voice agent,
   * record-and-reply when the business turned streams off or nothing can listen, else a media
   * stream on a fresh single-use token. Also what staying on the line in the menu reaches.
   */
  const answerWithoutMenu = async (call: CallToAnswer): Promise<string> => {
    const { callSid, business } = call;
    if (!planAllows(business.plan, 'voiceAgent')) {
      // A plan without the voice agent: Twilio greets and takes a message (/twilio/message).
      deps.log.info({ callSid, plan: business.plan }, 'incoming call answered by message taking');
      const greeting = greetingForMessage(profileFromStored(business).profile, new Date());
      return takeMessageTwiml({ publicUrl: deps.publicUrl, greeting });
    }
    const rr = deps.recordReply;
    if (rr && (business.settings.voice?.mediaStreams === false || !rr.canListen())) {
      deps.log.info(
        { callSid, reason: rr.canListen() ? 'media-streams-off' : 'no-recognizer' },
        'incoming call answered by record-and-reply',
      );
      return recordReplyAnswer({ ...rr, publicUrl: deps.publicUrl, log: deps.log }, call);
    }
    const token = await deps.tokens.issue({ callSid, businessId: business.id });
    deps.log.info({ callSid, from: maskPhone(call.from) }, 'incoming call answered with a media stream');
    return connectStreamTwiml({
      streamUrl: deps.streamUrl,
      parameters: { token },
      statusCallbackUrl: `${deps.publicUrl}/twilio/stream-status`,
      // Twilio runs it when the stream ends and the call goes on: a dropped stream is not silence.
      ...(rr ? { streamEndedUrl: `${deps.publicUrl}${STREAM_ENDED_PATH}` } : {}),
    });
  };

  app.post('/twilio/voice', { preHandler: checkSignature('voice') }, (req, reply) =>
    answerCall(req, reply, 'phone'),
  );
  // WhatsApp voice calls (Twilio's WhatsApp calling): the same agent, on channel "whatsapp".
  app.post('/whatsapp/voice', { preHandler: checkSignature('whatsapp-voice') }, (req, reply) =>
    answerCall(req, reply, 'whatsapp'),
  );

  app.post('/twilio/status', { preHandler: checkSignature('status') }, async (req, reply) => {
    const flat = flattenForm((req.body ?? {}) as FormBody);
    const parsed = StatusParams.safeParse(flat);
    if (!parsed.success) return badRequest(reply, 'status', parsed.error);
    const p = parsed.data;
    const at = p.Timestamp && !Number.isNaN(Date.parse(p.Timestamp)) ? new Date(p.Timestamp) : new Date();
    const known = await ports.recordStatus({
      callSid: asCallSid(p.CallSid),
      status: p.CallStatus,
      source: 'status-callback',
      sequenceNumber: p.SequenceNumber === undefined ? undefined : Number(p.SequenceNumber),
      params: flat,
      at,
    });
    if (!known) deps.log.info({ callSid: p.CallSid }, 'status callback for an unknown call ignored');
    return reply.code(204).send();
  });

  app.post('/twilio/stream-status', { preHandler: checkSignature('stream-status') }, async (req, reply) => {
    const parsed = StreamStatusParams.safeParse(flattenForm((req.body ?? {}) as FormBody));
    if (!parsed.success) return badRequest(reply, 'stream-status', parsed.error);
    const p = parsed.data;
    await ports.recordStreamStatus({
      callSid: asCallSid(p.CallSid),
      event: p.StreamEvent,
      ...(p.StreamError ? { error: p.StreamError } : {}),
      // Twilio defaults StreamName to the StreamSid: only a name we gave says which stream it was.
      ...(p.StreamName && p.StreamName !== p.StreamSid ? { name: p.StreamName } : {}),
      at: p.Timestamp && !Number.isNaN(Date.parse(p.Timestamp)) ? new Date(p.Timestamp) : new Date(),
    });
    return reply.code(204).send();
  });

  registerRoutingRoutes(app, {
    findBusinessByNumber: (n) => ports.findBusinessByNumber(n),
    answerWithoutMenu,
    publicUrl: deps.publicUrl,
    checkSignature,
    metrics,
    log: deps.log,
  });
  if (deps.recordReply) {
    const rrDeps = { ...deps.recordReply, verifier, publicUrl: deps.publicUrl, metrics, log: deps.log };
    registerRecordReplyRoute(app, rrDeps);
    registerStreamEndedRoute(app, rrDeps);
  }
}

/** A WhatsApp address (whatsapp:+E164) as the number it is; other addresses unchanged. */
export function withoutChannelPrefix(address: string): string {
  return address.startsWith('whatsapp:') ? address.slice('whatsapp:'.length) : address;
}
