import type { ExpectedSpeech } from '../shared/index.js';

/**
 * What the caller will likely say after a question worded freely (a model's reply), for the
 * recognizer: the rules brain names its questions' hints itself, a model-backed brain does not.
 * Only the last question counts; anything unsure is 'open', which never narrows the recognizer.
 */
const RULES: [RegExp, ExpectedSpeech][] = [
  [/\bspell\b/, 'spelling'],
  [/\b(your|the) (full )?name\b|\bwho am i speaking\b|\bwho('s| is) calling\b/, 'name'],
  [/\b(phone|callback|call back|contact) number\b|\bbest number\b|\bnumber (to|where|we)\b/, 'phone'],
  [/\baddress\b|\bwhere (are you|do you need|is the property)\b/, 'address'],
  [/\bwhat (day|time|date)\b|\bwhen would\b|\bwhich (day|time)\b|\bwhat works for you\b/, 'date-time'],
  [
    /^(is|are|was|were|do|does|did|shall|should|would|will|can|could|have|has)\b.*\b(right|correct|ok|okay|go ahead|book|confirm|like|want)\b/,
    'yes-no',
  ],
];

export function expectedAfter(reply: string): ExpectedSpeech {
  const questions = reply.match(/[^.?!]*\?/g);
  const last = questions?.at(-1)?.trim().toLowerCase();
  if (!last) return 'open';
  for (const [re, hint] of RULES) if (re.test(last)) return hint;
  return 'open';
}
