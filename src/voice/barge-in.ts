import { hasRealWords, type TurnTakingConfig } from './turn-taking.js';

/**
 * What caller speech over the agent does to the agent, decided on each step of that speech:
 * - 'words': a real word was heard (not "uh-huh", not a filler) past the minimum speech: stop now.
 * - 'too-long': no real word yet, but the speech has gone on too long to be a backchannel: stop.
 * - 'wait': neither yet. With PocketSphinx the words so far are often empty or garbage, so
 *   speech alone never stops the agent before `unconfirmedInterruptMs`.
 * Either stop is a pause: the utterance's final decides whether the agent goes on (it was only
 * "uh-huh", noise, nothing) or was interrupted.
 */
export type BargeIn = 'wait' | 'words' | 'too-long';

export function bargeIn(
  speechMs: number,
  partial: string,
  config: Pick<TurnTakingConfig, 'minInterruptSpeechMs' | 'unconfirmedInterruptMs' | 'backchannelWords'>,
): BargeIn {
  if (speechMs < config.minInterruptSpeechMs) return 'wait';
  if (hasRealWords(partial, config.backchannelWords)) return 'words';
  if (speechMs >= config.unconfirmedInterruptMs) return 'too-long';
  return 'wait';
}

/**
 * An utterance over the agent that is nothing to answer: no words, noise, or only acknowledgements
 * (and the short words a recognizer puts on any sound). A pause it caused was a false interruption.
 */
export function isNothingToAnswer(text: string, words: readonly string[]): boolean {
  return !hasRealWords(text, words);
}
