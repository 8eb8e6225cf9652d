/**
 * What of a caller's question is worth searching for. PostgreSQL's English configuration drops
 * written stop words ("the", "what", "do"); spoken questions also carry fillers and politeness
 * ("um, yeah, I was wondering if you guys...") that would otherwise count as unmatched terms and
 * make a good passage look irrelevant.
 */

// prettier-ignore
const SPOKEN_FILLERS = new Set([
  'um', 'umm', 'uh', 'uhh', 'er', 'erm', 'ah', 'hmm', 'mm', 'oh', 'yeah', 'yep', 'yes', 'no', 'nope',
  'ok', 'okay', 'alright', 'so', 'well', 'like', 'just', 'really', 'actually', 'basically', 'hi',
  'hello', 'hey', 'please', 'thanks', 'thank', 'guys', 'guy', 'folks', 'wondering', 'wonder',
  'wondered', 'question', 'ask', 'asking', 'tell', 'know', 'curious', 'want', 'wanted', 'wanna',
  'gonna', 'gotta', 'kind', 'sort', 'maybe', 'anyway', 'somebody', 'someone', 'something',
  'anything', 'thing', 'things', 'could', 'would', 'can', 'will', 'got', 'get', 'let', 'lets',
  'mean', 'right', 'sure', 'quick', 'quickly', 'also', 'still', 'even', 'there', 'here', 'able',
  'possible', 'sir', 'maam', 'hear', 'heard', 'said', 'say', 'saying', 'guess', 'think',
]);

/** Lower-case words with apostrophes joined ("don't" -> "dont"). */
export function words(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/(\p{L})['’](\p{L})/gu, '$1$2')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '');
}

/** The question without fillers, as words joined by spaces (what is searched and embedded). */
export function searchableText(question: string): string {
  return words(question)
    .filter((w) => !SPOKEN_FILLERS.has(w))
    .join(' ');
}
