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

/** Said by a misheard caller without carrying the question's subject. */
const WEAK = new Set(['her', 'him', 'come', 'thing', 'around', 'hundred', 'what', 'good', 'five', 'look']);

function keyWords(text: string): string[] {
  return [...new Set(contentWords(text))].filter((w) => !WEAK.has(w) && w.length >= 3);
}

/** Same word, stems compared, or one the start of the other ("pay", "payment"). */
function sameWord(a: string, b: string): boolean {
  return a === b || (a.length >= 3 && b.startsWith(a)) || (b.length >= 3 && a.startsWith(b));
}

const PRICE_WORDS = /\b(how much|charge|cost|price|fee|rate)/;
const HAS_PRICE = /\$\s?\d|\b\d+ dollars\b/i;

function sentences(text: string): string[] {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    .split(/(?<=[.?!])\s+(?=[A-Z0-9$])/)
    .filter(Boolean);
}

/**
 * What to read out from the search's hits, or undefined when none is about the question: a
 * passage shares at least two of the question's key words (or one with its title), else the
 * recognizer's noise found it and reading it out would invent an answer. From a passage that
 * qualifies, the sentence carrying most (at least two) of the question's words, or a price for a
 * price question, and the one after it, so the caller hears the asked fact rather than the
 * passage's opening; else the passage from its start.
 */
export function answerFromHits(
  question: string,
  hits: readonly KnowledgeHit[],
  priceAsked = false,
): string | undefined {
  const asked = keyWords(question);
  if (asked.length === 0) return undefined;
  const wantsPrice = priceAsked || PRICE_WORDS.test(question.toLowerCase());
  for (const hit of hits) {
    const body = contentWords(hit.text);
    const title = contentWords(hit.title ?? '');
    const shared = asked.filter((w) => body.some((b) => sameWord(w, b)));
    const inTitle = asked.some((w) => title.some((t) => sameWord(w, t)));
    if (shared.length < 2 && !(shared.length === 1 && inTitle)) continue;
    const parts = sentences(hit.text);
    let best = -1;
    let bestScore = 0;
    parts.forEach((s, i) => {
      if (wantsPrice && !HAS_PRICE.test(s)) return;
      const words = contentWords(s);
      const score = asked.filter((w) => words.some((b) => sameWord(w, b))).length;
      if (score > bestScore) {
        best = i;
        bestScore = score;
      }
    });
    if (best < 0) continue;
    // No sentence stands out: the passage as a whole is what was asked about.
    if (bestScore < 2 && !wantsPrice) return quotable(hit);
    const first = parts[best] ?? '';
    const next = parts[best + 1];
    const text = next && first.length + next.length < MAX_SPOKEN_CHARS ? `${first} ${next}` : first;
    return quotable({ ...hit, text });
  }
  return undefined;
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
  const answer = answerFromHits(env.text, hits, env.intents.intents.has('price'));
  if (answer) {
    yield* say(answer);
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
