/**
 * What the caller is likely to say next, as the dialogue knows it. The brain says it with each
 * `listen`; recognizers that can narrow their language model to the moment use it (PocketSphinx
 * switches search), others ignore it. Directed-dialogue phone systems won this way before neural
 * speech: after "what's your name?" a names model, after "your number?" digits, and so on.
 */
export const EXPECTED_SPEECH = [
  /** The open receptionist model with the business's own words. */
  'open',
  /** A person's name ("John Smith", "it's Mary"). */
  'name',
  /** A phone number: digits and number words ("five five five, oh one two three"). */
  'phone',
  /** Yes or no, in its many forms ("yeah that's right", "no, that's not right"). */
  'yes-no',
  /** A day and time ("tomorrow at two", "Tuesday morning"). */
  'date-time',
  /** A street address. */
  'address',
  /** Letters, one by one ("S M I T H"). */
  'spelling',
] as const;

export type ExpectedSpeech = (typeof EXPECTED_SPEECH)[number];

export function isExpectedSpeech(v: unknown): v is ExpectedSpeech {
  return typeof v === 'string' && (EXPECTED_SPEECH as readonly string[]).includes(v);
}
