import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  detectEmergency,
  EMERGENCY_LABELS,
  type AgentTools,
  type EmergencyDetection,
  type LeadFields,
  type TranscriptEntry,
} from '../../agent/index.js';
import {
  greetingFor,
  profileFromStored,
  withoutKeypadOffer,
  type BusinessProfile,
} from '../../business/index.js';
import type { Metrics } from '../../http/metrics.js';
import { asCallSid, parseE164, type CallSid, type E164 } from '../../ids.js';
import type { Logger } from '../../shared/index.js';
import type { Business, CallsRepo } from '../../store/index.js';
import type { BrainRequest } from './call-controller.js';
import {
  ASK_AGAIN,
  gatherMessageTwiml,
  LEAVE_A_MESSAGE,
  MESSAGE_ATTEMPTS,
  MESSAGE_PATH,
  MESSAGE_THANKS,
  NO_MESSAGE_GOODBYE,
  NO_MESSAGE_NO_NUMBER_GOODBYE,
} from './message-taking-twiml.js';
import { sayAndHangupTwiml } from './twiml.js';
import type { SignatureVerifier } from './signature.js';
import { flattenForm, refuseBadParams, twilioSignatureCheck, type FormBody } from './webhook-request.js';
import { CallSidParam } from './twilio-params.js';

/**
 * POST /twilio/message: the words of a call taken as a message (a plan without the voice agent),
 * as Twilio's <Gather input="speech"> heard them. The message becomes the call's lead (need = the
 * words, phone = the caller ID) and the call's turns; an emergency in it is raised exactly as a
 * voice call raises one (record, SMS, email, Slack; the plan decides voice alerts), anything else
 * notifies the owner as a new lead. Nothing said twice: a missed-call lead, so the owner still
 * calls back. Both go through the call's store tools, the same writes the voice agent makes.
 *
 * What the call record shows (no new columns): the turns (prompt, message, goodbye), the event
 * `message-taken` ({ attempt, confidence, emergency }) or `message-missed` ({ attempts }), the
 * usual `lead` / `emergency` events, and `summary.outcome` 'message-taken' or 'no-message'
 * (`summary.answeredWith: 'message'`). `answeredBy` stays 'ai': no person took the call.
 *
 * Nothing the caller said goes to a log: only its length, the attempt and the category.
 */

export interface MessageRouteDeps {
  /** The business called, as /twilio/voice finds it (its plan and profile). */
  findBusinessByNumber(to: string): Promise<Business | undefined>;
  calls: Pick<CallsRepo, 'get' | 'appendTurn' | 'appendEvent' | 'setSummary'>;
  /** The call's store-backed tools: the same the voice agent's brain acts through. */
  toolsFor(req: BrainRequest): AgentTools;
  verifier: SignatureVerifier;
  publicUrl: string;
  metrics: Metrics;
  log: Logger;
  now?: () => Date;
}

const MessageParams = z.looseObject({
  CallSid: CallSidParam,
  To: z.string().min(1),
  From: z.string().default(''),
  SpeechResult: z.string().optional(),
  Confidence: z.string().optional(),
});

/** Which try this is; anything odd counts as the last, so a caller is never asked forever. */
const AttemptQuery = z.object({
  attempt: z.coerce.number().int().min(1).max(MESSAGE_ATTEMPTS).catch(MESSAGE_ATTEMPTS).default(1),
});

/**
 * The business's greeting for a call taken as a message. Twilio listens for speech only here, so
 * a "press 1" line would promise what nobody answers: that clause is left out ("We're closed, but
 * for emergencies press 1." says "We're closed."). An emergency said in the message is still raised.
 */
export function greetingForMessage(profile: BusinessProfile, now: Date): string {
  return withoutKeypadOffer(greetingFor(profile, { now }));
}

export function registerMessageRoute(app: FastifyInstance, deps: MessageRouteDeps): void {
  const now = deps.now ?? (() => new Date());
  const checkSignature = twilioSignatureCheck({
    verifier: deps.verifier,
    publicUrl: deps.publicUrl,
    metrics: deps.metrics,
    log: deps.log,
  });

  app.post(MESSAGE_PATH, { preHandler: checkSignature('message') }, async (req, reply) => {
    const parsed = MessageParams.safeParse(flattenForm((req.body ?? {}) as FormBody));
    if (!parsed.success) return refuseBadParams(reply, deps.metrics, 'message', parsed.error);
    const p = parsed.data;
    const { attempt } = AttemptQuery.parse(req.query ?? {});
    const callSid = asCallSid(p.CallSid);
    const xml = (twiml: string) => reply.type('text/xml').send(twiml);
    const words = (p.SpeechResult ?? '').trim();

    const business = await deps.findBusinessByNumber(p.To);
    if (!business) {
      deps.log.warn({ callSid }, 'message for a number no business owns');
      return xml(sayAndHangupTwiml(NO_MESSAGE_NO_NUMBER_GOODBYE));
    }
    // Twilio retries a webhook it got no answer to: a message is taken once.
    const known = await deps.calls.get(callSid);
    if (known?.events.some((e) => e.type === 'message-taken' || e.type === 'message-missed')) {
      deps.log.info({ callSid }, 'message already taken for this call: not stored again');
      return xml(sayAndHangupTwiml(words ? MESSAGE_THANKS : NO_MESSAGE_GOODBYE));
    }
    if (!words && attempt < MESSAGE_ATTEMPTS)
      return xml(gatherMessageTwiml({ publicUrl: deps.publicUrl, attempt: attempt + 1, prompt: ASK_AGAIN }));

    const { profile } = profileFromStored(business);
    const at = now();
    const callerId = parseE164(p.From);
    const lifetime = new AbortController();
    const tools = deps.toolsFor({
      business,
      profile,
      callSid,
      callerId,
      log: deps.log,
      lifetime: lifetime.signal,
    });
    const prompt = attempt === 1 ? `${greetingForMessage(profile, at)} ${LEAVE_A_MESSAGE}` : ASK_AGAIN;
    const taker = new MessageTaker(deps, tools, { callSid, callerId, profile, at, prompt });
    try {
      if (!words) {
        await taker.missed(attempt);
        return xml(sayAndHangupTwiml(callerId ? NO_MESSAGE_GOODBYE : NO_MESSAGE_NO_NUMBER_GOODBYE));
      }
      await taker.message(words, { attempt, confidence: confidenceOf(p.Confidence) });
      return xml(sayAndHangupTwiml(MESSAGE_THANKS));
    } finally {
      lifetime.abort();
    }
  });
}

function confidenceOf(raw: string | undefined): number | undefined {
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(n) ? n : undefined;
}

/** The writes of one message, in the order that matters: the alert, the lead, then the record. */
class MessageTaker {
  private readonly signal = new AbortController().signal;

  constructor(
    private readonly deps: Pick<MessageRouteDeps, 'calls' | 'log'>,
    private readonly tools: AgentTools,
    private readonly call: {
      callSid: CallSid;
      callerId: E164 | undefined;
      profile: BusinessProfile;
      at: Date;
      prompt: string;
    },
  ) {}

  async message(words: string, heard: { attempt: number; confidence: number | undefined }): Promise<void> {
    const { callSid, callerId, profile, at } = this.call;
    const transcript: TranscriptEntry[] = [
      { speaker: 'agent', text: this.call.prompt, at },
      { speaker: 'caller', text: words, at },
    ];
    const emergency = detectEmergency(words, profile.trade);
    const fields: LeadFields = { need: words, ...(callerId ? { phone: callerId } : {}) };
    let stored = true;
    if (emergency) {
      stored = (await this.raise(emergency, words, transcript)) && stored;
      // The emergency's own notifications carry the message: the lead is kept, not announced twice.
      stored = (await this.lead({ ...fields, urgency: 'urgent' }, false, transcript)) && stored;
    } else stored = (await this.lead(fields, true, transcript)) && stored;
    this.deps.log.info(
      {
        callSid,
        attempt: heard.attempt,
        chars: words.length,
        ...(emergency ? { emergency: emergency.category } : {}),
      },
      stored ? 'message taken' : 'message heard but not all of it could be stored',
    );
    await this.record([
      () => this.deps.calls.appendTurn(callSid, { speaker: 'agent', text: this.call.prompt, startedAt: at }),
      () => this.deps.calls.appendTurn(callSid, { speaker: 'caller', text: words, startedAt: at }),
      () =>
        this.deps.calls.appendEvent(callSid, 'message-taken', {
          attempt: heard.attempt,
          ...(heard.confidence !== undefined ? { confidence: heard.confidence } : {}),
          emergency: emergency !== undefined,
        }),
      ...(emergency
        ? [() => this.deps.calls.appendEvent(callSid, 'emergency', { category: emergency.category })]
        : []),
      () =>
        this.deps.calls.appendEvent(callSid, 'lead', {
          complete: emergency === undefined,
          fields: Object.keys(fields).sort(),
        }),
      () => this.deps.calls.appendTurn(callSid, { speaker: 'agent', text: MESSAGE_THANKS }),
      () => this.deps.calls.setSummary(callSid, { outcome: 'message-taken', answeredWith: 'message' }),
    ]);
  }

  /** Nothing said on any try: the owner still learns of the call, as a lead to call back. */
  async missed(attempts: number): Promise<void> {
    const { callSid, callerId, at } = this.call;
    const need = callerId
      ? 'Missed call: no message left'
      : 'Missed call from a withheld number: no message left';
    const fields: LeadFields = { need, ...(callerId ? { phone: callerId } : {}) };
    const goodbye = callerId ? NO_MESSAGE_GOODBYE : NO_MESSAGE_NO_NUMBER_GOODBYE;
    await this.lead(fields, true, [{ speaker: 'agent', text: this.call.prompt, at }]);
    this.deps.log.info({ callSid, attempts }, 'no message left: the owner is told of a missed call');
    await this.record([
      () => this.deps.calls.appendTurn(callSid, { speaker: 'agent', text: this.call.prompt, startedAt: at }),
      () => this.deps.calls.appendEvent(callSid, 'message-missed', { attempts }),
      () =>
        this.deps.calls.appendEvent(callSid, 'lead', { complete: true, fields: Object.keys(fields).sort() }),
      () => this.deps.calls.appendTurn(callSid, { speaker: 'agent', text: goodbye }),
      () => this.deps.calls.setSummary(callSid, { outcome: 'no-message', answeredWith: 'message' }),
    ]);
  }

  private async raise(d: EmergencyDetection, words: string, transcript: TranscriptEntry[]): Promise<boolean> {
    try {
      await this.tools.raiseEmergency(
        {
          category: d.category,
          trigger: d.trigger,
          summary: `Emergency (${EMERGENCY_LABELS[d.category]}): the caller left a message: "${words}".`,
          transcript,
          callerId: this.call.callerId,
        },
        this.signal,
      );
      return true;
    } catch (err) {
      this.deps.log.error({ err, callSid: this.call.callSid }, 'raising the emergency of a message failed');
      return false;
    }
  }

  private async lead(fields: LeadFields, complete: boolean, transcript: TranscriptEntry[]): Promise<boolean> {
    try {
      await this.tools.saveLead({ fields, complete, transcript }, this.signal);
      return true;
    } catch (err) {
      this.deps.log.error({ err, callSid: this.call.callSid }, 'storing the message as a lead failed');
      return false;
    }
  }

  /** The call's record, each write on its own: a failed turn must not cost the summary. */
  private async record(writes: Array<() => Promise<unknown>>): Promise<void> {
    for (const write of writes) {
      try {
        await write();
      } catch (err) {
        this.deps.log.warn({ err, callSid: this.call.callSid }, 'writing the message call record failed');
      }
    }
  }
}
