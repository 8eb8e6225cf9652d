import twilio from 'twilio';

/** TwiML documents we answer with, built by the twilio package so escaping is never ours. */

export function connectStreamTwiml(opts: {
  streamUrl: string;
  parameters: Record<string, string>;
  statusCallbackUrl?: string;
}): string {
  const response = new twilio.twiml.VoiceResponse();
  const connect = response.connect();
  const stream = connect.stream({
    url: opts.streamUrl,
    ...(opts.statusCallbackUrl ? { statusCallback: opts.statusCallbackUrl } : {}),
  });
  for (const [name, value] of Object.entries(opts.parameters)) stream.parameter({ name, value });
  return response.toString();
}

/** For a number no business owns: a short apology and a hang-up, never an error page. */
export function unknownNumberTwiml(): string {
  const response = new twilio.twiml.VoiceResponse();
  response.say("Sorry, this number isn't set up to take calls yet. Goodbye.");
  response.hangup();
  return response.toString();
}

export function sayAndHangupTwiml(text: string): string {
  const response = new twilio.twiml.VoiceResponse();
  response.say(text);
  response.hangup();
  return response.toString();
}

export function dialTwiml(opts: { number: string; say?: string; callerId?: string }): string {
  const response = new twilio.twiml.VoiceResponse();
  if (opts.say) response.say(opts.say);
  response.dial(opts.callerId ? { callerId: opts.callerId } : {}, opts.number);
  return response.toString();
}
