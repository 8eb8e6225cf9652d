import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AgentTools, TurnInput } from '../../agent/index.js';
import { profileFromStored } from '../../business/index.js';
import {
  ConversationEndedError,
  type ConversationRef,
  type Conversations,
  type TurnResult,
} from '../../conversations/index.js';
import { sendError } from '../../http/errors.js';
import type { Metrics } from '../../http/metrics.js';
import { asCallSid, parseE164, type BusinessId, type CallSid, type E164 } from '../../ids.js';
import type { SpeechToText } from '../../providers/stt/index.js';
import type { Logger } from '../../shared/index.js';
import type { Business } from '../../store/index.js';
import type { BrainRequest } from './call-controller.js';
import {
  isTwilioRecordingUrl,
  withDownloadedRecording,
  type RecordingSource,
} from './record-reply-download.js';
import { transcribe, wavToMono } from './record-reply-transcribe.js';
import {
  CANNOT_TAKE_LINE,
  MESSAGE_KEPT_LINE,
  PROCESS_VOICE_PATH,
  RETRY_LINE,
  sayAndDialTwiml,
  sayAndRecordTwiml,
  sayThenHangupTwiml,
} from './record-reply-twiml.js';
import type { SignatureVerifier } from './signature.js';
import { flattenForm, refuseBadParams, twilioSignatureCheck, type FormBody } from './webhook-request.js';
import { CallSidParam } from './twilio-params.js';

/**
 * Record-and-reply calls (issue 13, seed 001): each thing the caller says is a <Record>; Twilio
 * posts it to /process-voice, which downloads it (the account's credentials, Twilio's host
 * only), transcribes it with the STT chain, gives it to the call's conversation (the same brain
 * and tools as a streamed call) and answers with the reply and the next <Record>. The caller is
 * never left with silence: a failed download or transcription asks again, and when nothing can
 * hear at all the recording goes to the owner as a message.
 */

/** What record-and-reply reads of a call's row (CallsRepo.get satisfies it). */
export interface RecordReplyCall {
  businessId: BusinessId;
  fromNumber: string | null;
  toNumber: string | null;
  streamClaimedAt: Date | null;
  endReason: string | null;
  summary: Record<string, unknown> | null;
  events: ReadonlyArray<{ type: string; payload: unknown }>;
}

export interface RecordReplyDeps {
  conversations: Pick<Conversations, 'open' | 'take' | 'end'>;
  getCall(callSid: CallSid): Promise<RecordReplyCall | undefined>;
  getBusiness(id: BusinessId): Promise<Business | undefined>;
  /** The STT chain in failover order; empty when no recognizer loaded. */
  recognizers(): readonly SpeechToText[];
  recording: RecordingSource;
  /** Recordings are downloaded here (DATA_DIR/tmp) and removed straight after. */
  tmpDir: string;
  /** The call's store tools: a message kept for the owner goes through saveLead. */
  toolsFor(req: BrainRequest): AgentTools;
  verifier: SignatureVerifier;
  publicUrl: string;
  metrics: Metrics;
  log: Logger;
  /** One turn's limit (download, transcription and the brain), default 25 s. */
  turnTimeoutMs?: number;
}

/** Failed downloads or transcriptions in a row before the recording goes to the owner instead. */
export const MAX_FAILED_TURNS = 2;

const ProcessVoiceParams = z.looseObject({
  CallSid: CallSidParam,
  From: z.string().default(''),
  To: z.string().default(''),
  RecordingUrl: z.string().optional(),
  RecordingDuration: z.string().optional(),
  Digits: z.string().optional(),
});

const ProcessVoiceQuery = z.object({
  silent: z.literal('1').optional().catch(undefined),
  failed: z.coerce.number().int().min(0).max(MAX_FAILED_TURNS).catch(0).default(0),
});

/** The party a record-and-reply call is: the call itself (channel phone, partyKey = CallSid). */
export async function openCallConversation(
  deps: Pick<RecordReplyDeps, 'conversations'>,
  call: { callSid: CallSid; businessId: BusinessId; from: string | null; to: string | null },
): Promise<ConversationRef> {
  const callerId = parseE164(call.from ?? '');
  return deps.conversations.open({
    businessId: call.businessId,
    channel: 'phone',
    partyKey: call.callSid,
    callSid: call.callSid,
    ...(callerId ? { callerId } : {}),
    ...(call.from ? { from: call.from } : {}),
    ...(call.to ? { to: call.to } : {}),
  });
}

/** What a turn's result sounds like: the replies, then a hang-up, a <Dial> or the next <Record>. */
export function turnTwiml(
  result: TurnResult,
  ctx: { publicUrl: string; transferNumber: E164 | undefined; businessNumber: string | undefined },
): string {
  if (result.ended) return sayThenHangupTwiml(result.replies);
  if (result.transfer) {
    const number = result.transfer.to ?? ctx.transferNumber;
    if (number)
      return sayAndDialTwiml({
        say: result.replies,
        number,
        ...(ctx.businessNumber ? { callerId: ctx.businessNumber } : {}),
      });
  }
  return sayAndRecordTwiml({ publicUrl: ctx.publicUrl, say: result.replies });
}

/**
 * The first answer of a record-and-reply call: the conversation's greeting turn, then <Record>.
 * `opening` replaces the greeting (a call whose stream dropped is not greeted twice).
 */
export async function recordReplyAnswer(
  deps: Pick<RecordReplyDeps, 'conversations' | 'publicUrl' | 'log'>,
  call: { callSid: CallSid; business: Business; from: string | null; to: string | null },
  opening?: string,
): Promise<string> {
  const { profile } = profileFromStored(call.business);
  try {
    const conversation = await openCallConversation(deps, { ...call, businessId: call.business.id });
    if (opening !== undefined || !conversation.created)
      return sayAndRecordTwiml({ publicUrl: deps.publicUrl, say: [opening ?? 'How can I help?'] });
    const result = await deps.conversations.take(
      conversation.id,
      { kind: 'call-started' },
      { signal: new AbortController().signal },
    );
    return turnTwiml(result, {
      publicUrl: deps.publicUrl,
      transferNumber: profile.transferNumber,
      businessNumber: call.to ?? undefined,
    });
  } catch (err) {
    deps.log.error({ err, callSid: call.callSid }, 'record-and-reply: greeting failed; recording anyway');
    return sayAndRecordTwiml({
      publicUrl: deps.publicUrl,
      say: [opening ?? `${profile.name}. How can I help?`],
    });
  }
}

export function registerRecordReplyRoute(app: FastifyInstance, deps: RecordReplyDeps): void {
  const checkSignature = twilioSignatureCheck({
    verifier: deps.verifier,
    publicUrl: deps.publicUrl,
    metrics: deps.metrics,
    log: deps.log,
  });

  app.post(PROCESS_VOICE_PATH, { preHandler: checkSignature('process-voice') }, async (req, reply) => {
    const parsed = ProcessVoiceParams.safeParse(flattenForm((req.body ?? {}) as FormBody));
    if (!parsed.success) return refuseBadParams(reply, deps.metrics, 'process-voice', parsed.error);
    const p = parsed.data;
    const query = ProcessVoiceQuery.parse(req.query ?? {});
    const callSid = asCallSid(p.CallSid);
    const xml = (twiml: string) => reply.type('text/xml').send(twiml);
    // The SSRF guard: a recording URL is fetched with the account's credentials, so only ever
    // from Twilio's own API host. Checked before anything else is looked at.
    if (p.RecordingUrl && !isTwilioRecordingUrl(p.RecordingUrl, deps.recording.baseUrl)) {
      deps.metrics.rejectedWebhooks.inc({ route: 'process-voice', reason: 'recording-host' });
      deps.log.warn({ callSid }, 'process-voice: RecordingUrl is not on the Twilio API host; refused');
      return sendError(reply, 400, 'validation_failed', 'RecordingUrl must be on the Twilio API host.', [
        { path: 'RecordingUrl', message: 'must be on the Twilio API host' },
      ]);
    }
    try {
      return xml(await respond(p, query, callSid));
    } catch (err) {
      // The store or the engine failed: the caller is asked again, never left with silence.
      deps.log.error({ err, callSid }, 'record-and-reply: answering the recording failed; asking again');
      return xml(sayAndRecordTwiml({ publicUrl: deps.publicUrl, say: [RETRY_LINE] }));
    }
  });

  const respond = async (
    p: z.infer<typeof ProcessVoiceParams>,
    query: z.infer<typeof ProcessVoiceQuery>,
    callSid: CallSid,
  ): Promise<string> => {
    const call = await deps.getCall(callSid);
    const business = call ? await deps.getBusiness(call.businessId) : undefined;
    if (!call || !business) {
      deps.log.warn({ callSid }, 'process-voice for an unknown call');
      return sayThenHangupTwiml([CANNOT_TAKE_LINE]);
    }
    const { profile } = profileFromStored(business);
    const ctx = {
      publicUrl: deps.publicUrl,
      transferNumber: profile.transferNumber,
      businessNumber: call.toNumber ?? undefined,
    };
    const conversation = await openCallConversation(deps, {
      callSid,
      businessId: business.id,
      from: call.fromNumber,
      to: call.toNumber,
    });
    const hungUp = p.Digits === 'hangup';
    const answer = (twiml: string) => (hungUp ? sayThenHangupTwiml([]) : twiml);
    const turn = async (input: TurnInput): Promise<string> => {
      const limit = new AbortController();
      const timer = setTimeout(() => limit.abort(), deps.turnTimeoutMs ?? 25_000);
      try {
        return turnTwiml(
          await deps.conversations.take(conversation.id, input, { signal: limit.signal }),
          ctx,
        );
      } catch (err) {
        if (err instanceof ConversationEndedError) return sayThenHangupTwiml(['Goodbye.']);
        deps.log.error({ err, callSid }, 'record-and-reply: the turn failed; asking again');
        return sayAndRecordTwiml({ publicUrl: deps.publicUrl, say: [RETRY_LINE] });
      } finally {
        clearTimeout(timer);
      }
    };

    // A key that ended the recording is the caller's answer (e.g. 1 for an emergency), as keys
    // are on a streamed call; '#' only says "I'm done talking".
    if (p.Digits && /^[0-9*]$/.test(p.Digits)) return answer(await turn({ kind: 'dtmf', digits: p.Digits }));
    if (query.silent || !p.RecordingUrl) return answer(await turn({ kind: 'no-input' }));
    const recordingUrl = p.RecordingUrl;

    const recognizers = deps.recognizers();
    const keepForOwner = async () => {
      const kept = await keepRecordingForOwner(deps, { business, call, callSid, recordingUrl });
      await deps.conversations.end(conversation.id, 'message-kept').catch(() => undefined);
      return sayThenHangupTwiml([kept ? MESSAGE_KEPT_LINE : CANNOT_TAKE_LINE]);
    };
    if (recognizers.length === 0) return keepForOwner();

    let heard: { text: string; alternatives: string[] };
    try {
      heard = await withDownloadedRecording(recordingUrl, deps.recording, deps.tmpDir, (bytes) =>
        transcribe(wavToMono(bytes), recognizers, { timeoutMs: deps.turnTimeoutMs ?? 25_000 }),
      );
    } catch (err) {
      const failed = query.failed + 1;
      deps.log.warn({ err, callSid, failed }, 'record-and-reply: the recording could not be heard');
      if (failed >= MAX_FAILED_TURNS) return keepForOwner();
      return answer(sayAndRecordTwiml({ publicUrl: deps.publicUrl, say: [RETRY_LINE], failedTurns: failed }));
    }
    deps.log.info(
      { callSid, chars: heard.text.length, seconds: Number(p.RecordingDuration) || undefined },
      'record-and-reply: recording transcribed',
    );
    return answer(
      await turn(
        heard.text
          ? {
              kind: 'speech',
              text: heard.text,
              ...(heard.alternatives.length ? { alternatives: heard.alternatives } : {}),
            }
          : { kind: 'unclear' },
      ),
    );
  };
}

/** No recognizer could hear the caller: the recording's link goes to the owner as a lead. */
async function keepRecordingForOwner(
  deps: Pick<RecordReplyDeps, 'toolsFor' | 'log'>,
  c: { business: Business; call: RecordReplyCall; callSid: CallSid; recordingUrl: string },
): Promise<boolean> {
  const callerId = parseE164(c.call.fromNumber ?? '');
  const lifetime = new AbortController();
  try {
    const tools = deps.toolsFor({
      business: c.business,
      profile: profileFromStored(c.business).profile,
      callSid: c.callSid,
      callerId,
      log: deps.log,
      lifetime: lifetime.signal,
    });
    await tools.saveLead(
      {
        fields: {
          need: `Voice message left on the call (listen: ${c.recordingUrl})`,
          ...(callerId ? { phone: callerId } : {}),
        },
        complete: true,
        transcript: [],
      },
      lifetime.signal,
    );
    deps.log.info({ callSid: c.callSid }, 'record-and-reply: no recognizer; the recording went to the owner');
    return true;
  } catch (err) {
    deps.log.error(
      { err, callSid: c.callSid },
      'record-and-reply: keeping the recording for the owner failed',
    );
    return false;
  } finally {
    lifetime.abort();
  }
}
