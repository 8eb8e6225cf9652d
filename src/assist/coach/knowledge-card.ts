import { answerFromHits, contentWords, findPhrase, hasAnyPhrase, tokens } from '../../agent/index.js';
import type { KnowledgeHit } from '../../knowledge/index.js';

/**
 * Knowledge answers for the agent: when the customer asks something, the business's knowledge base
 * is searched and, when a passage is about the question (the receptionist's own test, see
 * knowledge-flow.ts answerFromHits), its answer sentence goes on a card with the passage. Never an
 * invented answer: no relevant passage, no card.
 */

const QUESTION_OPENERS = [
  'what',
  'when',
  'where',
  'how',
  'why',
  'which',
  'who',
  'do|does|did you|they|i|it',
  'can|could|would|will you|i|we|someone',
  'are|is you|there|it|that|this',
  'have|has you',
  'should i|we',
];

const QUESTION_ANYWHERE = [
  'do|does you|it|they',
  'can|could you',
  'are you',
  'is there',
  'is it',
  'how much|long|many|soon|often',
  'what is|are|about|kind|time|do|does',
  'wondering',
  'want|like to know',
  'tell me',
  'any idea',
];

/** Words said before a question that do not change it ("so", "um", "hi"). */
const LEAD_IN = new Set([
  'so',
  'um',
  'uh',
  'and',
  'also',
  'oh',
  'hi',
  'hello',
  'okay',
  'ok',
  'well',
  'yeah',
  'yes',
  'and',
  'but',
  'hey',
]);

/** The customer asked something the knowledge base might answer. */
export function isQuestion(text: string): boolean {
  if (/\?\s*$/.test(text)) return true;
  const words = tokens(text);
  let start = 0;
  while (start < words.length && LEAD_IN.has(words[start] ?? '')) start++;
  const rest = words.slice(start);
  if (rest.length < 3) return false;
  const opener = QUESTION_OPENERS.some((p) => {
    const m = findPhrase(rest.slice(0, p.split(' ').length), p);
    return m !== undefined && m.start === 0;
  });
  return opener || hasAnyPhrase(rest, QUESTION_ANYWHERE);
}

export interface KnowledgeAnswer {
  /** The answer sentence(s), trimmed for a card. */
  content: string;
  passage: { title: string; text: string };
  /** 0..1: how much of the question the passage shares. */
  confidence: number;
}

/** Longest answer on a card: one glance. */
const MAX_CARD_CHARS = 200;
/** Longest passage kept as evidence. */
const MAX_PASSAGE_CHARS = 600;

export function trimAt(text: string, max: number): string {
  const t = text.replace(/\s+/g, ' ').trim();
  if (t.length <= max) return t;
  const cut = t.slice(0, max);
  const end = Math.max(cut.lastIndexOf('. '), cut.lastIndexOf('? '), cut.lastIndexOf('! '));
  if (end > max / 3) return cut.slice(0, end + 1);
  return `${cut.slice(0, cut.lastIndexOf(' '))}…`;
}

/** The answer to `question` from the hits, or undefined when none is about it. */
export function knowledgeAnswer(
  question: string,
  hits: readonly KnowledgeHit[],
  priceAsked: boolean,
): KnowledgeAnswer | undefined {
  const asked = new Set(contentWords(question));
  for (const [rank, hit] of hits.entries()) {
    const answer = answerFromHits(question, [hit], priceAsked);
    if (!answer) continue;
    const body = new Set(contentWords(`${hit.title ?? ''} ${hit.text}`));
    const shared = [...asked].filter((w) => body.has(w)).length;
    const share = asked.size === 0 ? 0 : shared / asked.size;
    // The first hit that answers, sharing most of the question's words, is the surest.
    const confidence = Math.min(0.9, 0.55 + 0.3 * share + (rank === 0 ? 0.05 : 0));
    return {
      content: trimAt(answer, MAX_CARD_CHARS),
      passage: { title: hit.title ?? 'Knowledge base', text: trimAt(hit.text, MAX_PASSAGE_CHARS) },
      confidence: Math.round(confidence * 100) / 100,
    };
  }
  return undefined;
}
