import { splitSentences, words } from '../shared/index.js';

/**
 * The part of a chunk to quote: from the sentence that best matches the question to the end of
 * the chunk. A chunk is up to 300 words and the receptionist reads out only its first few
 * sentences, so the answer must come first; what is quoted is the chunk's own text, uncut
 * inside a sentence. When no sentence matches better than the first, the whole chunk is quoted.
 */

// prettier-ignore
const STOP = new Set(('a an the and or but if of to in on at by for with from as is are was were be been being am do does did ' +
  'have has had it its this that these those i me my we our us you your they them their he she his her so can could would ' +
  'should will shall may might must what which who whom when where why how there here than then into up out not no yes any some').split(' '));

/** Crude stem for matching only: plural and common verb endings off, then the first 6 letters. */
function stem(w: string): string {
  const s = w.length > 5 ? w.replace(/(ies|es|s|ing|ed|ly)$/, '') : w.replace(/s$/, '');
  return s.slice(0, 6);
}

function terms(text: string): Set<string> {
  return new Set(
    words(text)
      .filter((w) => !STOP.has(w) && w.length > 1)
      .map(stem),
  );
}

export function bestPassage(chunkText: string, question: string): string {
  const sentences = splitSentences(chunkText, { maxChars: Infinity });
  if (sentences.length <= 1) return chunkText;
  const q = terms(question);
  if (q.size === 0) return chunkText;
  let best = 0;
  let bestScore = -1;
  sentences.forEach((s, i) => {
    let score = 0;
    for (const t of terms(s)) if (q.has(t)) score++;
    if (score > bestScore) {
      best = i;
      bestScore = score;
    }
  });
  if (best === 0 || bestScore === 0) return chunkText;
  // Quote from the chosen sentence's own place in the chunk, so paragraph breaks survive.
  const at = chunkText.indexOf(sentences[best]!);
  return at >= 0 ? chunkText.slice(at) : sentences.slice(best).join(' ');
}
