import twilio from 'twilio';

/** TwiML documents we answer with, built by the twilio package so escaping is never ours. */

type VoiceResponse = InstanceType<typeof twilio.twiml.VoiceResponse>;

/** The media stream the AI receptionist talks on: `<Connect><Stream>` with its parameters. */
export interface ConnectStreamTwiml {
  streamUrl: string;
  parameters: Record<string, string>;
  statusCallbackUrl?: string;
  /**
   * Where Twilio goes when the stream is over and the call is not (a <Redirect> after
   * <Connect>): absent, the call ends with the stream.
   */
  streamEndedUrl?: string;
}

function connectStream(response: VoiceResponse, opts: ConnectStreamTwiml): void {
  const stream = response.connect().stream({
    url: opts.streamUrl,
    ...(opts.statusCallbackUrl ? { statusCallback: opts.statusCallbackUrl } : {}),
  });
  for (const [name, value] of Object.entries(opts.parameters)) stream.parameter({ name, value });
  if (opts.streamEndedUrl) response.redirect({ method: 'POST' }, opts.streamEndedUrl);
}

export function connectStreamTwiml(opts: ConnectStreamTwiml): string {
  const response = new twilio.twiml.VoiceResponse();
  connectStream(response, opts);
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

/**
 * The assist stream: a listen-only `<Start><Stream>` of both sides of the call (inbound = the
 * customer, outbound = the person at the business), with its single-use token as a parameter
 * (a stream URL takes no query string). Twilio goes straight on to the next verb.
 */
export interface AssistStreamTwiml {
  url: string;
  token: string;
  statusCallbackUrl?: string;
}

/** The assist stream's name on its call: its status callbacks say it, and it can be stopped by it. */
export const ASSIST_STREAM_NAME = 'switchboard-assist';

function startAssistStream(response: VoiceResponse, a: AssistStreamTwiml) {
  const stream = response.start().stream({
    name: ASSIST_STREAM_NAME,
    url: a.url,
    track: 'both_tracks',
    ...(a.statusCallbackUrl ? { statusCallback: a.statusCallbackUrl } : {}),
  });
  stream.parameter({ name: 'token', value: a.token });
}

/**
 * Moves a call to a person. With `assistStream`, the assist stream starts first, so the person
 * is coached from the first word.
 */
export function dialTwiml(opts: {
  number: string;
  say?: string;
  callerId?: string;
  assistStream?: AssistStreamTwiml;
  onDialEnd?: DialActionTwiml;
}): string {
  const response = new twilio.twiml.VoiceResponse();
  if (opts.say) response.say(opts.say);
  if (opts.assistStream) startAssistStream(response, opts.assistStream);
  response.dial(
    {
      ...(opts.callerId ? { callerId: opts.callerId } : {}),
      ...(opts.onDialEnd
        ? { action: opts.onDialEnd.actionUrl, method: 'POST', timeout: opts.onDialEnd.timeoutSeconds }
        : {}),
    },
    opts.number,
  );
  return response.toString();
}

/**
 * Where Twilio asks what next once the `<Dial>` ends (its `action`, with `DialCallStatus`), and
 * how long the person's phone rings first: without it a `<Dial>` nobody answers ends the call.
 */
export interface DialActionTwiml {
  /** Absolute (PROTOCOLS.md 3.5): the same TwiML may be sent by REST, where relative URLs fail. */
  actionUrl: string;
  timeoutSeconds: number;
}

/** A call the business answers itself, listened to by assist: the stream, then the agent's phone. */
export function assistedDialTwiml(opts: {
  assistStream: AssistStreamTwiml;
  number: string;
  callerId?: string;
  onDialEnd?: DialActionTwiml;
}): string {
  return dialTwiml(opts);
}

/**
 * The agent did not pick up: the assist stream stops (no one is there to coach) and the AI
 * receptionist takes the call on a media stream, exactly as `/twilio/voice` would connect it.
 */
export function aiTakesOverTwiml(opts: ConnectStreamTwiml): string {
  const response = new twilio.twiml.VoiceResponse();
  response.stop().stream({ name: ASSIST_STREAM_NAME });
  connectStream(response, opts);
  return response.toString();
}

/** The call is over (the agent and the customer talked): nothing more to say. */
export function hangupTwiml(): string {
  const response = new twilio.twiml.VoiceResponse();
  response.hangup();
  return response.toString();
}
