/**
 * Per-moment language model phrases: what a caller says to each kind of question the dialogue
 * asks (ExpectedSpeech). 'open' is the receptionist model; every other one is narrow but keeps
 * the ESCAPE_PHRASES, so a caller can always report an emergency, ask to repeat, ask for a
 * person or say goodbye.
 */
import type { ExpectedSpeech } from '../../../shared/index.js';
import { RECEPTIONIST_PHRASES } from '../receptionist-phrases.js';
import { addressPhrases } from './address.js';
import { dateTimePhrases } from './date-time.js';
import { ESCAPE_PHRASES } from './escape.js';
import { namePhrases } from './names.js';
import { phonePhrases } from './phone.js';
import { spellingPhrases } from './spelling.js';
import { yesNoPhrases } from './yes-no.js';

export { ESCAPE_PHRASES } from './escape.js';
export { FIRST_NAMES, LAST_NAMES } from './names.js';

const NARROW: Record<Exclude<ExpectedSpeech, 'open'>, () => string[]> = {
  name: namePhrases,
  phone: phonePhrases,
  'yes-no': yesNoPhrases,
  'date-time': dateTimePhrases,
  address: addressPhrases,
  spelling: spellingPhrases,
};

/**
 * How many times a narrow model counts its own sentences against the way-out ones. Once each,
 * the way-out words took the answer's place on unclear audio ("five" heard as "pipe", "correct"
 * as "repeat that", on the tuning voices); counted more, they stay reachable but cost more.
 */
export const MOMENT_WEIGHT = 3;

/** The sentences the model of one moment is built from (repeats weigh a sentence up). */
export function momentPhrases(moment: ExpectedSpeech): readonly string[] {
  if (moment === 'open') return RECEPTIONIST_PHRASES;
  const own = NARROW[moment]();
  return [...Array.from({ length: MOMENT_WEIGHT }, () => own).flat(), ...ESCAPE_PHRASES];
}
