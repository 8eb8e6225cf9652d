import twilio from 'twilio';

/**
 * What a caller hears when the business's plan has no voice agent: Twilio itself greets, listens
 * for one spoken message (<Gather input="speech">) and posts its words to /twilio/message. Nothing
 * said: one more try, then a goodbye (the owner still hears of the missed call).
 */

export const MESSAGE_PATH = '/twilio/message';
/** Tries at getting a message before the goodbye. */
export const MESSAGE_ATTEMPTS = 2;

export const LEAVE_A_MESSAGE =
  "Please leave your name, your number and how we can help, and we'll call you back.";
export const ASK_AGAIN = "Sorry, I didn't hear anything. " + LEAVE_A_MESSAGE;
export const MESSAGE_THANKS = 'Thanks, we have your message and will call you back soon. Goodbye.';
export const NO_MESSAGE_GOODBYE =
  "Sorry we missed you. We'll call you back at the number you called from. Goodbye.";
/** The caller's number is withheld: nobody can call back, so ask them to call again. */
export const NO_MESSAGE_NO_NUMBER_GOODBYE = 'Sorry we missed you. Please call again later. Goodbye.';

/** Where Twilio posts the message of attempt `attempt` (absolute: PROTOCOLS.md 3.5). */
export function messageActionUrl(publicUrl: string, attempt: number): string {
  return `${publicUrl}${MESSAGE_PATH}?attempt=${attempt}`;
}

/**
 * One try at a message: the prompt inside the <Gather> (a caller may start talking over it), and
 * when Twilio hears nothing it goes on to the <Redirect>, which posts to the same action with no
 * SpeechResult: that is how the route learns nothing was said.
 */
export function gatherMessageTwiml(opts: { publicUrl: string; attempt: number; prompt: string }): string {
  const response = new twilio.twiml.VoiceResponse();
  const action = messageActionUrl(opts.publicUrl, opts.attempt);
  response
    .gather({
      input: ['speech'],
      action,
      method: 'POST',
      speechTimeout: 'auto',
      timeout: 6,
      language: 'en-US',
    })
    .say(opts.prompt);
  response.redirect({ method: 'POST' }, action);
  return response.toString();
}

/** The first answer to a call taken as a message: the business's greeting, then the ask. */
export function takeMessageTwiml(opts: { publicUrl: string; greeting: string }): string {
  const greeting = opts.greeting.trim();
  return gatherMessageTwiml({
    publicUrl: opts.publicUrl,
    attempt: 1,
    prompt: `${greeting ? `${greeting} ` : ''}${LEAVE_A_MESSAGE}`,
  });
}
