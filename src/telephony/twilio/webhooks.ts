import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Logger } from '../../http/logger.js';
import { maskPhone } from '../../http/logger.js';
import type { Metrics } from '../../http/metrics.js';
import type { BusinessId, CallSid } from '../../ids.js';
import { asCallSid } from '../../ids.js';
import type { SignatureVerifier } from './signature.js';
import type { StreamTokens } from './stream-token.js';
import { connectStreamTwiml, unknownNumberTwiml } from './twiml.js';

/** What the webhooks need from the rest of the system; app.ts adapts the store to it. */
export interface VoiceWebhookPorts {
  findBusinessByNumber(to: string): Promise<{ id: BusinessId } | undefined>;
  /** Idempotent: Twilio retries webhooks. */
  recordInboundCall(call: {
    callSid: CallSid;
    businessId: BusinessId;
    from: string;
    to: string;
    direction: string;
    status: string;
  }): Promise<void>;
  /** Returns false when the call is unknown. */
  recordStatus(s: {
    callSid: CallSid;
    status: string;
    source: 'voice-webhook' | 'status-callback';
    sequenceNumber: number | undefined;
    params: Record<string, string>;
    at: Date;
  }): Promise<boolean>;
  recordStreamStatus(s: { callSid: CallSid; event: string; error?: string; at: Date }): Promise<void>;
}

export interface VoiceWebhookDeps {
  ports: VoiceWebhookPorts;
  verifier: SignatureVerifier;
  tokens: StreamTokens;
  publicUrl: string;
  streamUrl: string;
  metrics: Metrics;
  log: Logger;
}

const VoiceParams = z.looseObject({
  CallSid: z.string().min(1),
  AccountSid: z.string().min(1),
  From: z.string().default(''),
  To: z.string().min(1),
  CallStatus: z.string().default('ringing'),
  Direction: z.string().default('inbound'),
});

const StatusParams = z.looseObject({
  CallSid: z.string().min(1),
  CallStatus: z.string().min(1),
  SequenceNumber: z.string().regex(/^\d+$/).optional(),
  Timestamp: z.string().optional(),
});

const StreamStatusParams = z.looseObject({
  CallSid: z.string().min(1),
  StreamEvent: z.string().min(1),
  StreamError: z.string().optional(),
  Timestamp: z.string().optional(),
});

type FormBody = Record<string, string | string[]>;

/** Form values as single strings (Twilio sends each voice parameter once). */
function flatten(body: FormBody): Record<string, string> {
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, Array.isArray(v) ? (v[0] ?? '') : v]));
}

export function registerVoiceWebhooks(app: FastifyInstance, deps: VoiceWebhookDeps): void {
  const { verifier, metrics, ports } = deps;

  /** Every Twilio route: signature over the public URL exactly as Twilio requested it. */
  const checkSignature = (route: string) => async (req: FastifyRequest, reply: FastifyReply) => {
    const body = (req.body ?? {}) as FormBody;
    const url = deps.publicUrl + req.url;
    const signature = req.headers['x-twilio-signature'];
    if (!verifier.webhook(typeof signature === 'string' ? signature : undefined, url, body)) {
      metrics.rejectedWebhooks.inc({ route, reason: signature ? 'bad-signature' : 'no-signature' });
      deps.log.warn({ route }, 'Twilio request refused: signature check failed');
      await reply.code(403).type('text/plain').send('Forbidden');
    }
  };

  const badRequest = async (reply: FastifyReply, route: string, error: z.ZodError) => {
    metrics.rejectedWebhooks.inc({ route, reason: 'bad-params' });
    const issue = error.issues[0];
    await reply
      .code(400)
      .type('text/plain')
      .send(`Bad request: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim());
  };

  app.post('/twilio/voice', { preHandler: checkSignature('voice') }, async (req, reply) => {
    const parsed = VoiceParams.safeParse(flatten((req.body ?? {}) as FormBody));
    if (!parsed.success) return badRequest(reply, 'voice', parsed.error);
    const p = parsed.data;
    const callSid = asCallSid(p.CallSid);
    const business = await ports.findBusinessByNumber(p.To);
    if (!business) {
      deps.log.info({ to: maskPhone(p.To) }, 'call to a number no business owns');
      return reply.type('text/xml').send(unknownNumberTwiml());
    }
    await ports.recordInboundCall({
      callSid,
      businessId: business.id,
      from: p.From,
      to: p.To,
      direction: p.Direction,
      status: p.CallStatus,
    });
    const token = await deps.tokens.issue({ callSid, businessId: business.id });
    deps.log.info({ callSid, from: maskPhone(p.From) }, 'incoming call answered with a media stream');
    return reply.type('text/xml').send(
      connectStreamTwiml({
        streamUrl: deps.streamUrl,
        parameters: { token },
        statusCallbackUrl: `${deps.publicUrl}/twilio/stream-status`,
      }),
    );
  });

  app.post('/twilio/status', { preHandler: checkSignature('status') }, async (req, reply) => {
    const flat = flatten((req.body ?? {}) as FormBody);
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
    const parsed = StreamStatusParams.safeParse(flatten((req.body ?? {}) as FormBody));
    if (!parsed.success) return badRequest(reply, 'stream-status', parsed.error);
    const p = parsed.data;
    await ports.recordStreamStatus({
      callSid: asCallSid(p.CallSid),
      event: p.StreamEvent,
      ...(p.StreamError ? { error: p.StreamError } : {}),
      at: p.Timestamp && !Number.isNaN(Date.parse(p.Timestamp)) ? new Date(p.Timestamp) : new Date(),
    });
    return reply.code(204).send();
  });
}
