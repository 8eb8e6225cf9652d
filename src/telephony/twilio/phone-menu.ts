import twilio from 'twilio';
import { menuPrompt, type PhoneMenu } from '../../business/index.js';

/**
 * A business's phone menu (business/phone-menu.ts) on a call: its keys are gathered by Twilio
 * (<Gather input="dtmf" numDigits="1">) and posted to /twilio/routing.
 */

export const ROUTING_PATH = '/twilio/routing';
export const DIAL_STATUS_PATH = '/twilio/routing/dial-status';

export function routingUrl(publicUrl: string, attempt = 1): string {
  return `${publicUrl}${ROUTING_PATH}${attempt > 1 ? `?attempt=${attempt}` : ''}`;
}

/**
 * The menu, then what the call would have heard without it: Twilio runs the verbs after the
 * <Gather> when no key comes, so staying on the line reaches the assistant.
 */
export function menuTwiml(opts: {
  publicUrl: string;
  menu: PhoneMenu;
  /** Said before the choices (the business's greeting; "Sorry, that is not an option." on a retry). */
  before?: string;
  attempt?: number;
  /** The TwiML of the call without a menu (a <Response> document): its verbs follow the <Gather>. */
  then: string;
}): string {
  const response = new twilio.twiml.VoiceResponse();
  const words = [opts.before?.trim(), menuPrompt(opts.menu)].filter(Boolean).join(' ');
  response
    .gather({
      input: ['dtmf'],
      numDigits: 1,
      action: routingUrl(opts.publicUrl, opts.attempt),
      method: 'POST',
      timeout: opts.menu.timeoutSeconds,
    })
    .say(words);
  return appendDocument(response.toString(), opts.then);
}

/** The verbs of `then` (a whole <Response> document) placed after those of `first`. */
function appendDocument(first: string, then: string): string {
  const body = /<Response>([\s\S]*)<\/Response>/.exec(then)?.[1] ?? '';
  if (/<Response\/>\s*$/.test(first))
    return first.replace(/<Response\/>\s*$/, `<Response>${body}</Response>`);
  return first.replace(/<\/Response>\s*$/, `${body}</Response>`);
}
