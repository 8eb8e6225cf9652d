import { signTwilioRequest } from '../telephony/twilio/index.js';
import { fetchFailureReason, ServerUnreachableError } from './errors.js';

/** A form POST signed as Twilio signs it (X-Twilio-Signature over the URL and the parameters). */
export async function postSigned(
  authToken: string,
  url: string,
  params: Record<string, string>,
): Promise<Response> {
  try {
    return await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signTwilioRequest(authToken, url, params),
      },
      body: new URLSearchParams(params).toString(),
    });
  } catch (err) {
    throw new ServerUnreachableError(url, fetchFailureReason(err));
  }
}

/** A stream upgrade is signed over the stream URL exactly as the TwiML gave it, with no params. */
export function signedUpgradeHeaders(authToken: string, url: string): Record<string, string> {
  return { 'x-twilio-signature': signTwilioRequest(authToken, url, {}) };
}

/** The parameters Twilio posts for an inbound call (voice webhook; status callbacks add their own). */
export function inboundCallParams(c: {
  accountSid: string;
  callSid: string;
  from: string;
  to: string;
}): Record<string, string> {
  return {
    AccountSid: c.accountSid,
    ApiVersion: '2010-04-01',
    CallSid: c.callSid,
    CallStatus: 'ringing',
    Called: c.to,
    Caller: c.from,
    Direction: 'inbound',
    From: c.from,
    To: c.to,
  };
}
