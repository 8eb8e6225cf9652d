import { answerFromProfile, contentWords } from '../knowledge.js';
import type { KnowledgeHit } from '../tools.js';
import { say, transcriptWithTurn, type Flow, type TurnEnv } from './env.js';

/**
 * Questions: the profile first (FAQ, services, prices), then the knowledge base. What neither
 * answers is recorded for the owner and the caller is offered a call back, never an invented answer.
 */

/** Longest passage read out; the rest is for the owner's dashboard, not the caller's ear. */
const MAX_SPOKEN_CHARS = 320;

export function quotable(hit: KnowledgeHit): string {
  const text = hit.text.replace(/\s+/g, ' ').trim();
  if (text.length <= MAX_SPOKEN_CHARS) return text;
  const cut = text.slice(0, MAX_SPOKEN_CHARS);
  const end = Math.max(cut.lastIndexOf('. '), cut.lastIndexOf('? '), cut.lastIndexOf('! '));
  return end > 60 ? cut.slice(0, end + 1) : `${cut.slice(0, cut.lastIndexOf(' '))}...`;
}

/** Worth searching for: enough content words that it is a question, not noise. */
export function isSearchable(text: string): boolean {
  return contentWords(text).length >= 2;
}

/**
 * Answer `text` if possible. Returns 'answered', 'unknown' (searched, nothing relevant: recorded for
 * the owner and a message offered) or 'skipped' (not a question worth searching).
 */
export async function* answerQuestion(env: TurnEnv): Flow<'answered' | 'unknown' | 'skipped'> {
  const fromProfile = answerFromProfile(env.text, env.intents.intents, env.ctx.business);
  if (fromProfile) {
    yield* say(fromProfile.text);
    return 'answered';
  }
  if (!isSearchable(env.text)) return 'skipped';
  let hits: KnowledgeHit[] = [];
  let failed = false;
  try {
    hits = await env.tools.searchKnowledge(env.text, env.signal);
  } catch (err) {
    if (env.signal.aborted) return 'answered';
    // Past its time budget (or failing): the caller is not kept waiting; the team answers instead.
    failed = true;
    env.logger?.warn({ err }, 'knowledge search failed');
  }
  const best = hits[0];
  if (best) {
    yield* say(quotable(best));
    return 'answered';
  }
  const question = env.text.trim();
  await env.tools
    .recordQuestion({ text: question, transcript: transcriptWithTurn(env) }, env.lifetime)
    .catch((err: unknown) => env.logger?.warn({ err }, 'recording the question failed'));
  yield { type: 'question-for-owner', text: question };
  yield* say(
    failed ? CHECK_WITH_TEAM : "I'm not sure about that one, so I'll pass your question on to the team.",
  );
  return 'unknown';
}

/** What the caller hears when the search could not answer in time. */
export const CHECK_WITH_TEAM =
  "Let me check with the team on that one. I've passed your question on, and they'll get back to you.";
