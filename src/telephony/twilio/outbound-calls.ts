import { ApiError } from '../../http/errors.js';
import { maskPhone } from '../../http/logger.js';
import type { BusinessId, CallSid } from '../../ids.js';
import { asCallSid } from '../../ids.js';
import { systemClock, type Clock, type Logger } from '../../shared/index.js';
import {
  CALL_STATUSES,
  isTerminalStatus,
  type Business,
  type CallsRepo,
  type CallStatus,
  type SessionsRepo,
} from '../../store/index.js';
import { MemoryRateCounter, type RateCounter } from '../../store/rate/index.js';
import { checkDestination, displayNumber, parseDestination } from './outbound-destinations.js';
import { OutboundRateLimit, retryAfterSeconds } from './outbound-rate-limit.js';
import { TwilioApiError, TwilioError, type TwilioRestClient } from './rest.js';

/**
 * Calls we place (POST /phone/call, /whatsapp/call, Slack's /call): checked (a possible number,
 * in the business's own country and its allowed prefixes, within the per-business rate), placed
 * through Twilio's Calls API (PROTOCOLS.md 3.5) from the business's own number so that the call's
 * voice webhook finds the business by its From, and recorded at once, so the live sessions show it
 * and the voice webhook meets a known call. Twilio then fetches `/twilio/voice` (or
 * `/whatsapp/voice`) when the person answers, and the call goes on as any other.
 */

export type OutboundChannel = 'phone' | 'whatsapp';

export interface OutboundCallsDeps {
  /** Undefined without TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN: every call answers 503. */
  rest: Pick<TwilioRestClient, 'createCall' | 'updateCall'> | undefined;
  calls: CallsRepo;
  sessions: SessionsRepo;
  /** Where Twilio reaches us (PUBLIC_URL), without a trailing slash. */
  publicUrl: string;
  /** TWILIO_FROM_NUMBER: the caller ID of a business without a number of its own. */
  fromNumber: string | undefined;
  /** The WhatsApp sender (whatsapp:+E164) of a business without a number of its own. */
  whatsappFrom: string | undefined;
  /** OUTBOUND_CALLS_PER_MINUTE, per business. */
  callsPerMinute: number;
  /** Where the per-business count is kept: default this process; a Redis counter shares it across nodes. */
  rateCounter?: RateCounter;
  clock?: Pick<Clock, 'now'>;
  log: Pick<Logger, 'info' | 'warn'>;
}

export interface PlaceCallInput {
  business: Business;
  /** E.164 (people's spacing allowed); for WhatsApp also whatsapp:+E164. */
  to: string;
  channel: OutboundChannel;
}

export interface PlacedCall {
  callSid: CallSid;
  status: CallStatus;
  /** As sent to Twilio: +E164, or whatsapp:+E164. */
  to: string;
  from: string;
  channel: OutboundChannel;
  /** The number as a person reads it, e.g. "+1 555-123-4567". */
  display: string;
}

export interface EndedCall {
  callSid: CallSid;
  status: CallStatus;
}

/** A refusal with a wait: the route sends Retry-After (seconds). */
export class RetryLaterError extends ApiError {
  constructor(
    statusCode: number,
    code: string,
    message: string,
    readonly retryAfterSec: number,
  ) {
    super(statusCode, code, message);
  }
}

const WHATSAPP = 'whatsapp:';
const NOT_CONFIGURED = () =>
  new ApiError(
    503,
    'telephony_not_configured',
    'Placing calls needs Twilio: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.',
  );

export class OutboundCalls {
  private readonly limit: OutboundRateLimit;
  private readonly publicUrl: string;

  constructor(private readonly deps: OutboundCallsDeps) {
    this.limit = new OutboundRateLimit(
      deps.callsPerMinute,
      'call',
      deps.rateCounter ?? new MemoryRateCounter(deps.clock ?? systemClock),
    );
    this.publicUrl = deps.publicUrl.replace(/\/+$/, '');
  }

  /** Whether calls can be placed at all (Twilio configured). */
  get configured(): boolean {
    return this.deps.rest !== undefined;
  }

  async place(input: PlaceCallInput): Promise<PlacedCall> {
    const { business, channel } = input;
    const rest = this.deps.rest;
    if (!rest) throw NOT_CONFIGURED();

    const raw =
      channel === 'whatsapp' && input.to.startsWith(WHATSAPP) ? input.to.slice(WHATSAPP.length) : input.to;
    const dest = parseDestination(raw);
    if (!dest) {
      const example = channel === 'whatsapp' ? 'whatsapp:+15551234567' : '+15551234567';
      const message = `"to" must be a phone number in international form, e.g. ${example}.`;
      throw new ApiError(400, 'validation_failed', message, [{ path: 'body.to', message }]);
    }
    const ownNumber =
      business.phoneNumbers[0] ?? this.deps.fromNumber ?? withoutWhatsapp(this.deps.whatsappFrom);
    const allowed = checkDestination(dest, ownNumber, business.settings);
    if (!allowed.ok) throw new ApiError(422, 'destination_not_allowed', allowed.message);

    const from = this.fromFor(business, channel);
    if (!from) {
      const what = channel === 'whatsapp' ? 'TWILIO_WHATSAPP_FROM' : 'TWILIO_FROM_NUMBER';
      throw new ApiError(
        422,
        'no_from_number',
        `No number to call from: give the business a phone number or set ${what}.`,
      );
    }
    const taken = await this.limit.take(business.id);
    if (!taken.ok) {
      const secs = retryAfterSeconds(taken.retryAfterMs);
      throw new RetryLaterError(
        429,
        'too_many_requests',
        `Too many calls placed for this business; try again in ${secs} s.`,
        secs,
      );
    }

    const to = channel === 'whatsapp' ? `${WHATSAPP}${dest.number}` : dest.number;
    let created;
    try {
      created = await rest.createCall({
        to,
        from,
        url: `${this.publicUrl}${channel === 'whatsapp' ? '/whatsapp/voice' : '/twilio/voice'}`,
        method: 'POST',
        statusCallback: `${this.publicUrl}/twilio/status`,
        statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
        statusCallbackMethod: 'POST',
      });
    } catch (err) {
      throw this.refusal(err, 'place the call', business.id);
    }

    const callSid = asCallSid(created.sid);
    const status = callStatus(created.status);
    await this.deps.calls.create({
      callSid,
      businessId: business.id,
      from,
      to,
      direction: 'outbound-api',
      channel,
      status,
    });
    await this.deps.calls.recordStatus({
      callSid,
      status,
      source: 'system',
      occurredAt: new Date(),
      params: { placedBy: 'outbound-api' },
    });
    this.deps.log.info(
      { callSid, businessId: business.id, channel, to: maskPhone(dest.number), status },
      'outbound call placed',
    );
    return { callSid, status, to, from, channel, display: displayNumber(dest) };
  }

  /**
   * Ends a live call (one we placed or one that came in): Twilio's `canceled` while it has not been
   * answered, `completed` once it has (PROTOCOLS.md 3.5). `businessId` limits it to that business's
   * calls (undefined: any business, for operators); another business's call is unknown here.
   */
  async end(callSid: CallSid, businessId: BusinessId | undefined): Promise<EndedCall> {
    // Tenant check first: another business's call is unknown, whatever is configured.
    const live = await this.deps.sessions.find(callSid, businessId);
    if (!live) throw new ApiError(404, 'not_found', 'No live call with this CallSid.');
    const rest = this.deps.rest;
    if (!rest) throw NOT_CONFIGURED();

    let status: CallStatus;
    try {
      const preAnswer = ['queued', 'initiated', 'ringing'].includes(live.status);
      let answer = await rest.updateCall(callSid, { status: preAnswer ? 'canceled' : 'completed' });
      // Our status may lag Twilio's: a call we thought ringing was answered, and canceled left it up.
      if (preAnswer && answer.status === 'in-progress')
        answer = await rest.updateCall(callSid, { status: 'completed' });
      status = isTerminalStatus(callStatus(answer.status)) ? callStatus(answer.status) : 'completed';
    } catch (err) {
      throw this.refusal(err, 'end the call', live.businessId);
    }
    await this.deps.calls.recordStatus({
      callSid,
      status,
      source: 'system',
      occurredAt: new Date(),
      params: { endedBy: 'api' },
      endReason: 'ended-by-api',
    });
    this.deps.log.info({ callSid, businessId: live.businessId, status }, 'call ended through the API');
    return { callSid, status };
  }

  private fromFor(business: Business, channel: OutboundChannel): string | undefined {
    const own = business.phoneNumbers[0];
    if (channel === 'whatsapp') return own ? `${WHATSAPP}${own}` : this.deps.whatsappFrom;
    return own ?? this.deps.fromNumber;
  }

  /** Twilio's failure as an answer for the client: what went wrong, never credentials or URLs. */
  private refusal(err: unknown, what: string, businessId: BusinessId): ApiError {
    // Not Twilio's (a bug, an abort): thrown on as it is, a 500 that shows nothing of it.
    if (!(err instanceof TwilioError)) throw err;
    this.deps.log.warn(
      { businessId, code: err.code, status: err.status, err: err.message },
      `could not ${what}`,
    );
    const code = err.code !== undefined ? ` (Twilio error ${err.code})` : '';
    if (err instanceof TwilioApiError && (err.status === 401 || err.status === 403))
      return new ApiError(502, 'telephony_auth_failed', `Twilio refused our credentials${code}.`);
    if (err instanceof TwilioApiError && err.status === 429) {
      const secs = Math.max(1, Math.ceil((err.retryAfterMs ?? 1000) / 1000));
      return new RetryLaterError(
        503,
        'telephony_busy',
        `Twilio is rate-limiting us; try again in ${secs} s.`,
        secs,
      );
    }
    if (err instanceof TwilioApiError && err.status !== undefined && err.status < 500) {
      const why = TWILIO_REFUSALS[err.code ?? 0] ?? 'Twilio refused the request';
      return new ApiError(422, 'call_refused', `Could not ${what}: ${why}${code}.`);
    }
    return new ApiError(
      502,
      'telephony_unavailable',
      `Could not ${what}: Twilio did not answer properly; try again.`,
    );
  }
}

/** Twilio's refusals that a client can act on, in our words (Twilio's own may quote URLs). */
const TWILIO_REFUSALS: Record<number, string> = {
  20404: 'Twilio does not know this call',
  21210: 'the number we call from is not verified with Twilio',
  21211: "Twilio says the 'To' number is not valid",
  21212: 'the number we call from is not a valid caller ID',
  21214: "Twilio cannot reach the 'To' number",
  21215: "the Twilio account's geographic permissions do not allow calling this number",
  21216: 'Twilio blocks calls to this number',
  21220: 'the call is no longer in a state that can be changed',
};

function callStatus(s: string | undefined): CallStatus {
  return (CALL_STATUSES as readonly string[]).includes(s ?? '') ? (s as CallStatus) : 'queued';
}

function withoutWhatsapp(address: string | undefined): string | undefined {
  return address?.startsWith(WHATSAPP) ? address.slice(WHATSAPP.length) : address;
}
