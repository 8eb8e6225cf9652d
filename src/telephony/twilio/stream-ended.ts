import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { asCallSid, type CallSid } from '../../ids.js';
import { hangupTwiml } from './twiml.js';
import { recordReplyAnswer, type RecordReplyCall, type RecordReplyDeps } from './record-reply.js';
import { DROPPED_LINE, sayAndRecordTwiml, STREAM_ENDED_PATH } from './record-reply-twiml.js';
import { flattenForm, refuseBadParams, twilioSignatureCheck, type FormBody } from './webhook-request.js';
import { CallSidParam } from './twilio-params.js';

/**
 * POST /twilio/stream-ended: the <Redirect> after <Connect><Stream>, which Twilio runs when the
 * stream is over and the call is not. A call the session ended on purpose (the agent hung up,
 * said the shutdown goodbye, moved the call) hangs up; a stream that never started, or dropped
 * without an end (socket error, idle, a crashed node), hands the caller to record-and-reply.
 */

export interface StreamEndedDeps extends RecordReplyDeps {
  /** How long to wait for the session's end to be written, default 2 s. */
  endWaitMs?: number;
  /** Between looks at the call's row, default 100 ms. */
  pollMs?: number;
}

/** Summary outcomes (voice/call-summary.ts) of a call the session ended on purpose. */
const ENDED_ON_PURPOSE = new Set(['agent-hung-up', 'server-shutdown', 'caller-hung-up', 'transferred']);

type Verdict = 'hang-up' | 'take-over' | 'wait';

/** What the call's row says about how its stream ended. */
export function streamEndVerdict(call: RecordReplyCall): Verdict {
  const outcome = typeof call.summary?.['outcome'] === 'string' ? call.summary['outcome'] : undefined;
  if (outcome !== undefined && ENDED_ON_PURPOSE.has(outcome)) return 'hang-up';
  if (call.endReason === 'transferred') return 'hang-up';
  // Written the moment the session decides: before the socket closes and the end is stored.
  const decided = call.events.some(
    (e) =>
      e.type === 'agent-hangup' ||
      e.type === 'goodbye' ||
      (e.type === 'transfer-result' && (e.payload as { transferred?: unknown }).transferred === true),
  );
  if (decided) return 'hang-up';
  if (call.streamClaimedAt === null) return 'take-over';
  // An end was written, and it was not on purpose: the stream dropped.
  if (outcome !== undefined || call.endReason !== null) return 'take-over';
  return 'wait';
}

const Params = z.looseObject({
  CallSid: CallSidParam,
  From: z.string().default(''),
  To: z.string().default(''),
});

export function registerStreamEndedRoute(app: FastifyInstance, deps: StreamEndedDeps): void {
  const checkSignature = twilioSignatureCheck({
    verifier: deps.verifier,
    publicUrl: deps.publicUrl,
    metrics: deps.metrics,
    log: deps.log,
  });
  const waitMs = deps.endWaitMs ?? 2000;
  const pollMs = deps.pollMs ?? 100;

  app.post(STREAM_ENDED_PATH, { preHandler: checkSignature('stream-ended') }, async (req, reply) => {
    const parsed = Params.safeParse(flattenForm((req.body ?? {}) as FormBody));
    if (!parsed.success) return refuseBadParams(reply, deps.metrics, 'stream-ended', parsed.error);
    const callSid = asCallSid(parsed.data.CallSid);
    const xml = (twiml: string) => reply.type('text/xml').send(twiml);
    try {
      return xml(await decide(callSid));
    } catch (err) {
      // The store failed: the caller is better recorded than left with a dead line.
      deps.log.error({ err, callSid }, 'stream-ended: the call could not be read; record-and-reply takes it');
      return xml(sayAndRecordTwiml({ publicUrl: deps.publicUrl, say: [DROPPED_LINE] }));
    }
  });

  const decide = async (callSid: CallSid): Promise<string> => {
    const until = Date.now() + waitMs;
    let call = await deps.getCall(callSid);
    // The session may still be writing its end (it closes the socket first): look again briefly.
    while (call && streamEndVerdict(call) === 'wait' && Date.now() < until) {
      await new Promise((r) => setTimeout(r, pollMs));
      call = await deps.getCall(callSid);
    }
    const business = call ? await deps.getBusiness(call.businessId) : undefined;
    if (!call || !business) {
      deps.log.warn({ callSid }, 'stream ended for an unknown call: hanging up');
      return hangupTwiml();
    }
    const verdict = streamEndVerdict(call);
    if (verdict === 'hang-up') return hangupTwiml();
    deps.log.warn(
      { callSid, started: call.streamClaimedAt !== null, endReason: call.endReason },
      'media stream ended without an end: record-and-reply takes the call over',
    );
    return recordReplyAnswer(
      deps,
      { callSid, business, from: call.fromNumber, to: call.toNumber },
      DROPPED_LINE,
    );
  };
}
