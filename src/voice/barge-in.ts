import { hasRealWords, type TurnTakingConfig } from './turn-taking.js';

/**
 * What caller speech over the agent does to the agent, decided on each step of that speech:
 * - 'interrupt': a real word was heard (not "uh-huh", not a filler): stop the agent now.
 * - 'pause': no real word yet, but the speech has gone on too long to be a backchannel: stop the
 *   agent's audio and keep the rest, to resume if the words turn out to be nothing to answer.
 * - 'wait': neither yet. With PocketSphinx the words so far are often empty or garbage, so
 *   speech alone never cuts the agent before `unconfirmedInterruptMs`.
 */
export type BargeIn = 'wait' | 'interrupt' | 'pause';

export function bargeIn(
  speechMs: number,
  partial: string,
  config: Pick<TurnTakingConfig, 'minInterruptSpeechMs' | 'unconfirmedInterruptMs' | 'backchannelWords'>,
): BargeIn {
  if (speechMs < config.minInterruptSpeechMs) return 'wait';
  if (hasRealWords(partial, config.backchannelWords)) return 'interrupt';
  if (speechMs >= config.unconfirmedInterruptMs) return 'pause';
  return 'wait';
}

/**
 * An utterance over the agent that is nothing to answer: no words, noise, or only acknowledgements.
 * A pause it caused is a false interruption: the agent goes on.
 */
export function isNothingToAnswer(text: string, words: readonly string[]): boolean {
  return !hasRealWords(text, words);
}
