import twilio from 'twilio';

/**
 * Record-and-reply: a call without a media stream (the business turned streams off, or the
 * stream could not be opened or heard). Twilio records one thing the caller says (<Record>),
 * posts it to /process-voice, and we answer with what to say and the next <Record>.
 */

export const PROCESS_VOICE_PATH = '/process-voice';
/** Where Twilio goes when a <Connect><Stream> ends (the <Redirect> after it). */
export const STREAM_ENDED_PATH = '/twilio/stream-ended';

/** The longest a caller talks in one recording, in seconds (issue 13, seed 001). */
export const RECORD_MAX_SECONDS = 30;
/** Seconds of silence that end a recording. */
export const RECORD_SILENCE_SECONDS = 3;
/**
 * Any key ends a recording (Twilio's default set): a caller told "for emergencies, press 1" is
 * heard pressing it, as on a streamed call. The key comes back as Digits.
 */
export const RECORD_FINISH_KEYS = '1234567890*#';

export const RETRY_LINE = "Sorry, I didn't catch that. Please say it again.";
export const DROPPED_LINE = 'Sorry, the line dropped for a moment. How can I help?';
/** Nothing can hear the caller: the recording itself goes to the owner. */
export const MESSAGE_KEPT_LINE =
  "Thanks. I can't answer right now, but I've passed your message on and someone will call you back. Goodbye.";
/** The recording could not be kept for the owner either: nothing was passed on. */
export const CANNOT_TAKE_LINE = "Sorry, we can't take your call right now. Please call back later. Goodbye.";

/**
 * `/process-voice?silent=1` is where the <Redirect> after a <Record> goes: Twilio skips the
 * <Record>'s action when nothing was recorded and runs the next verb, so the caller who said
 * nothing is asked again instead of being hung up on.
 */
export function processVoiceUrl(
  publicUrl: string,
  opts: { silent?: boolean; failedTurns?: number } = {},
): string {
  const query = new URLSearchParams();
  if (opts.silent) query.set('silent', '1');
  // Recordings that could not be heard in a row: after a few the recording goes to the owner.
  if (opts.failedTurns) query.set('failed', String(opts.failedTurns));
  const q = query.toString();
  return `${publicUrl}${PROCESS_VOICE_PATH}${q ? `?${q}` : ''}`;
}

type VoiceResponse = InstanceType<typeof twilio.twiml.VoiceResponse>;

/** <Record> (PROTOCOLS.md 3.4 attribute names), then the <Redirect> for a silent caller. */
export function appendRecord(response: VoiceResponse, publicUrl: string, failedTurns = 0): void {
  response.record({
    action: processVoiceUrl(publicUrl, { failedTurns }),
    method: 'POST',
    maxLength: RECORD_MAX_SECONDS,
    timeout: RECORD_SILENCE_SECONDS,
    finishOnKey: RECORD_FINISH_KEYS,
    playBeep: false,
    trim: 'trim-silence',
  });
  response.redirect({ method: 'POST' }, processVoiceUrl(publicUrl, { silent: true }));
}

function say(response: VoiceResponse, lines: readonly string[]): void {
  const text = lines
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
  if (text) response.say(text);
}

/** Say the lines, then record what the caller answers. */
export function sayAndRecordTwiml(opts: {
  publicUrl: string;
  say: readonly string[];
  failedTurns?: number;
}): string {
  const response = new twilio.twiml.VoiceResponse();
  say(response, opts.say);
  appendRecord(response, opts.publicUrl, opts.failedTurns);
  return response.toString();
}

/** The brain asked for a person: say its words, then ring them. */
export function sayAndDialTwiml(opts: { say: readonly string[]; number: string; callerId?: string }): string {
  const response = new twilio.twiml.VoiceResponse();
  say(response, opts.say);
  response.dial({ ...(opts.callerId ? { callerId: opts.callerId } : {}) }, opts.number);
  return response.toString();
}

export function sayThenHangupTwiml(lines: readonly string[]): string {
  const response = new twilio.twiml.VoiceResponse();
  say(response, lines);
  response.hangup();
  return response.toString();
}
