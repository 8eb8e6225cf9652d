import { parseE164, type BusinessId, type CallSid } from '../ids.js';
import {
  CallsRepo,
  TERMINAL_CALL_STATUSES,
  type AnsweredBy,
  type BusinessesRepo,
  type Call,
  type CallDirection,
  type CallStatus,
} from '../store/index.js';
import type { VoiceWebhookPorts } from '../telephony/twilio/index.js';

/**
 * Stores a call from its first webhook, idempotently (Twilio retries webhooks): the call and, the
 * first time only, its status as the webhook gave it. `created` tells the first delivery apart.
 */
export async function recordInboundCall(
  calls: CallsRepo,
  c: {
    callSid: CallSid;
    businessId: BusinessId;
    from: string;
    to: string;
    direction: CallDirection;
    status: CallStatus;
    answeredBy?: AnsweredBy;
    channel?: 'phone' | 'whatsapp';
  },
): Promise<{ call: Call; created: boolean }> {
  const { call, created } = await calls.create({ ...c, channel: c.channel ?? 'phone' });
  if (created)
    await calls.recordStatus({
      callSid: c.callSid,
      status: c.status,
      source: 'voice-webhook',
      occurredAt: new Date(),
    });
  return { call, created };
}

/**
 * What the voice webhooks store, over the calls and businesses repositories. `onCallEnded`: told of
 * every final status Twilio reports (a record-and-reply call's conversation ends with its call).
 */
export function voiceWebhookPorts(
  calls: CallsRepo,
  businesses: BusinessesRepo,
  onCallEnded?: (callSid: CallSid) => Promise<void>,
): VoiceWebhookPorts {
  return {
    findBusinessByNumber: async (to) => {
      const number = parseE164(to);
      return number ? businesses.findByPhoneNumber(number) : undefined;
    },
    recordInboundCall: async (c) => {
      const { call, created } = await recordInboundCall(calls, c);
      if (!created && CallsRepo.isFinishedOrServed(call)) return { state: 'finished' };
      // A call we placed was recorded when we placed it: its answer is news (in-progress).
      if (!created && c.direction === 'outbound-api')
        await calls.recordStatus({
          callSid: c.callSid,
          status: c.status,
          source: 'voice-webhook',
          occurredAt: new Date(),
        });
      if (!created) return { state: 'retry' };
      return { state: 'new' };
    },
    recordEndReason: async (callSid, reason) => void (await calls.setEndReason(callSid, reason)),
    recordStatus: async (s) => {
      const duration = Number(s.params['CallDuration']);
      const r = await calls.recordStatus({
        callSid: s.callSid,
        status: s.status,
        source: s.source,
        sequenceNumber: s.sequenceNumber ?? null,
        params: s.params,
        occurredAt: s.at,
        ...(Number.isFinite(duration) ? { durationSec: duration } : {}),
      });
      if (r.outcome !== 'unknown-call' && TERMINAL_CALL_STATUSES.includes(s.status))
        await onCallEnded?.(s.callSid);
      return r.outcome !== 'unknown-call';
    },
    recordStreamStatus: async (s) => {
      await calls.appendEvent(s.callSid, 'stream-status', {
        event: s.event,
        ...(s.name ? { name: s.name } : {}),
        ...(s.error ? { error: s.error } : {}),
      });
    },
  };
}
