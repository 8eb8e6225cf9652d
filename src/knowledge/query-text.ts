/**
 * What of a caller's question is worth searching for. PostgreSQL's English configuration drops
 * written stop words ("the", "what", "do"); spoken questions also carry fillers and politeness
 * ("um, yeah, I was wondering if you guys...") that would otherwise count as unmatched terms and
 * make a good passage look irrelevant.
 */

import { words } from '../shared/index.js';

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
  // Contractions, once their apostrophe is gone, are not in PostgreSQL's stop-word list.
  'whats', 'whos', 'wheres', 'hows', 'whens', 'thats', 'theres', 'heres', 'its', 'im', 'ive', 'id',
  'youre', 'youve', 'youll', 'were', 'weve', 'theyre', 'dont', 'doesnt', 'didnt', 'cant', 'wont',
  'isnt', 'arent', 'wasnt', 'havent', 'hasnt', 'shouldnt', 'wouldnt', 'couldnt', 'lets',
]);

/** The question without fillers, as words joined by spaces (what is searched and embedded). */
export function searchableText(question: string): string {
  return words(question)
    .filter((w) => !SPOKEN_FILLERS.has(w))
    .join(' ');
}

/**
 * Words owners write for what callers say: a caller asks "how much", a price list says "price" or
 * "fee"; a caller asks "where are you", a page says "address". Added to the question for ranking
 * only (the relevance gate judges the caller's own words). Deliberately short and generic to the
 * receptionist's job, not to one trade.
 */
const CONCEPTS: readonly [RegExp, string][] = [
  [
    /\b(how much|costs?|price[sd]?|pricing|charges?|fees?|expensive|cheap|rates?|quote)\b/,
    'price prices fee cost',
  ],
  [
    /\b(where (are|is) (you|your)|address|located|location|directions|find you)\b/,
    'address located location',
  ],
  [/\b(open|close|closed|closing|hours|ours)\b/, 'hours open closed'],
  [/\b(kids?|son|daughter|child|children|toddler|baby|babies)\b/, 'children child'],
  [/\b(pay|paying|payment|cards?|credit|debit|cash|checks?|cheques?)\b/, 'payment pay accept'],
  [/\b(guarantees?|guaranteed|warrant(y|ies))\b/, 'warranty guarantee guaranteed'],
  [/\b(cancel+(ing|ed)?|cancellation|reschedul\w*|no show)\b/, 'cancel cancellation reschedule'],
  [/\b(book|booking|schedule|appointments?)\b/, 'appointment book'],
  [/\b(urgent|emergency|emergencies|asap|right away|flood\w*|burst)\b/, 'emergency'],
];

export function expandQuery(text: string): string {
  const extra = CONCEPTS.filter(([re]) => re.test(text)).map(([, words]) => words);
  return extra.length > 0 ? `${text} ${extra.join(' ')}` : text;
}
