import { CallRefusedError } from './errors.js';
import type { CallScript } from './script.js';
import type { SimEvent, TurnReport } from './simulated-call.js';
import { readTwiml, type TwimlAction } from './twiml-reader.js';

/**
 * Twilio's part of a call answered with `<Gather input="speech">` (a call taken as a message):
 * each `say` turn of the script is what Twilio's speech recognition heard, posted as
 * SpeechResult to the Gather's action; a turn that is not words (silence, keys, noise) or no turn
 * left means nothing was heard, so the `<Redirect>` after the Gather is followed, as Twilio does
 * when its timeout passes. Ends when the answer is a Say and a hang-up. Status callbacks as for
 * any call: in-progress when answered, completed at the end.
 */

export interface MessageCallDeps {
  /** A signed form POST to a path of the server, or to an absolute URL the TwiML gave. */
  post(pathOrUrl: string, params: Record<string, string>): Promise<Response>;
  callParams: Record<string, string>;
  script: CallScript;
  event(type: SimEvent['type'], detail?: string): void;
}

export interface MessageCallReport {
  /** Everything Twilio said, in order. */
  say: string[];
  turns: TurnReport[];
  closedBy: 'server' | 'timeout';
}

/** A server that keeps asking is cut off here, as Twilio would cut off a loop. */
const MAX_STEPS = 10;

export async function followMessageTaking(
  first: Extract<TwimlAction, { kind: 'gather' }>,
  deps: MessageCallDeps,
): Promise<MessageCallReport> {
  const t0 = performance.now();
  const now = () => Math.round(performance.now() - t0);
  const say: string[] = [];
  const turns: TurnReport[] = [];
  const queue = [...deps.script.turns.entries()];
  let seq = 0;
  const status = (CallStatus: string, extra: Record<string, string> = {}) =>
    deps
      .post('/twilio/status', {
        ...deps.callParams,
        CallStatus,
        SequenceNumber: String(seq++),
        Timestamp: new Date().toUTCString(),
        CallbackSource: 'call-progress-events',
        ...extra,
      })
      .catch(() => undefined);
  await status('in-progress');

  let twiml: TwimlAction = first;
  let closedBy: MessageCallReport['closedBy'] = 'timeout';
  try {
    for (let step = 0; step < MAX_STEPS; step++) {
      if (twiml.kind === 'say-hangup') {
        say.push(...twiml.say);
        closedBy = 'server';
        break;
      }
      if (twiml.kind !== 'gather') break;
      say.push(...twiml.say);
      const next = queue.shift();
      const startMs = now();
      const params = { ...deps.callParams, CallStatus: 'in-progress' };
      let url: string;
      if (next && next[1].say !== undefined) {
        // Twilio's recognizer heard the words exactly (the sim plays a perfect listener).
        deps.event('caller-speech-start', next[1].say);
        Object.assign(params, { SpeechResult: next[1].say, Confidence: '0.92' });
        turns.push({ index: next[0], kind: 'say', text: next[1].say, startMs, endMs: now(), bargeIn: false });
        url = twiml.action;
      } else {
        if (next) turns.push({ index: next[0], kind: 'silence', startMs, endMs: now(), bargeIn: false });
        if (!twiml.redirect) break;
        url = twiml.redirect;
      }
      const res = await deps.post(url, params);
      deps.event('webhook', String(res.status));
      if (res.status !== 200) throw new CallRefusedError('message webhook', url, res.status);
      twiml = readTwiml(await res.text());
    }
  } finally {
    deps.event('hangup');
    await status('completed', { CallDuration: String(Math.max(1, Math.round(now() / 1000))) });
  }
  return { say, turns, closedBy };
}
