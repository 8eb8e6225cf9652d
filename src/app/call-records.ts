import { parseE164 } from '../ids.js';
import { CallsRepo, type BusinessesRepo } from '../store/index.js';
import type { VoiceWebhookPorts } from '../telephony/twilio/index.js';

/** What the voice webhooks store, over the calls and businesses repositories. */
export function voiceWebhookPorts(calls: CallsRepo, businesses: BusinessesRepo): VoiceWebhookPorts {
  return {
    findBusinessByNumber: async (to) => {
      const number = parseE164(to);
      return number ? businesses.findByPhoneNumber(number) : undefined;
    },
    recordInboundCall: async (c) => {
      const { call, created } = await calls.create({
        callSid: c.callSid,
        businessId: c.businessId,
        from: c.from,
        to: c.to,
        direction: c.direction,
        channel: 'phone',
        status: c.status,
      });
      if (!created) return { state: CallsRepo.isFinishedOrServed(call) ? 'finished' : 'retry' };
      await calls.recordStatus({
        callSid: c.callSid,
        status: c.status,
        source: 'voice-webhook',
        occurredAt: new Date(),
      });
      return { state: 'new' };
    },
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
