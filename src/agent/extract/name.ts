import { tokens } from '../text.js';

/**
 * A person's name from what they said. With `asked` (the agent just asked for the name) a bare
 * answer counts ("John Smith", "uh, Maria"); otherwise only an explicit cue does ("this is
 * John", "my name is Maria Lopez"), so "I'm calling about a leak" never becomes a name.
 */

const CUES: string[][] = [
  ['my', 'name', 'is'],
  ['my', 'name'],
  ['name', 'is'],
  ['the', 'name', 'is'],
  ['this', 'is'],
  ['call', 'me'],
  ['you', 'can', 'call', 'me'],
  ['it', 'is'],
  ['i', 'am'],
  ['its'],
  ['name'],
];
/** Cues that only mean "here's my name" when the agent asked for it. */
const WEAK_CUES = new Set(['it is', 'i am', 'its', 'name']);

const FILLERS = new Set([
  'yes',
  'yeah',
  'yep',
  'sure',
  'ok',
  'okay',
  'um',
  'uh',
  'er',
  'erm',
  'hmm',
  'hi',
  'hello',
  'hey',
  'well',
  'so',
  'oh',
  'alright',
  'right',
  'sorry',
  'first',
  'full',
  'thing',
  'speaking',
]);
/** Words that end a name ("John and my number is..."). */
const STOPS = new Set([
  'and',
  'i',
  'my',
  'calling',
  'from',
  'with',
  'the',
  'about',
  'number',
  'phone',
  'is',
  'at',
  'speaking',
  'here',
  'please',
  'thanks',
  'thank',
  'you',
  'but',
  'so',
  'on',
  'in',
  'um',
  'uh',
  'again',
  'by',
  'for',
  'to',
  'of',
]);
/** Words that are never names; a bare answer made of them is not a name. */
const NOT_NAMES = new Set([
  'no',
  'not',
  'yes',
  'what',
  'why',
  'who',
  'how',
  'where',
  'when',
  'hours',
  'need',
  'want',
  'would',
  'like',
  'can',
  'could',
  'help',
  'appointment',
  'emergency',
  'flooding',
  'sorry',
  'pardon',
  'repeat',
  'person',
  'human',
  'calling',
  'call',
  'have',
  'a',
  'an',
  'it',
  'is',
  'that',
  'this',
  'there',
  'just',
  'do',
  'does',
  'did',
  'am',
  'are',
  'was',
  'be',
  'will',
  'your',
  'our',
  'we',
  'they',
  'me',
  'fine',
  'good',
  'bye',
  'goodbye',
  'water',
  'leak',
  'pipe',
  'book',
  'message',
  'number',
  'phone',
  'address',
  'street',
  'today',
  'tomorrow',
  'now',
  'okay',
  'ok',
  'nothing',
  'anything',
  'something',
  'going',
  'looking',
  'trying',
  'here',
  'there',
  'speak',
  'talk',
  'know',
  'think',
  'don',
  'back',
  'later',
  'soon',
  'asap',
  'anytime',
  'whenever',
  'please',
  'on',
  'at',
]);

const MAX_NAME_WORDS = 3;

export function extractName(text: string, opts: { asked: boolean }): string | undefined {
  const words = tokens(text);
  if (words.length === 0) return undefined;
  const spelled = spelledName(words);
  if (spelled && opts.asked) return spelled;

  for (let i = 0; i < words.length; i++) {
    for (const cue of CUES) {
      if (!cue.every((c, k) => words[i + k] === c)) continue;
      const key = cue.join(' ');
      if (WEAK_CUES.has(key) && !opts.asked) continue;
      // "my name" needs "is" or a following name; skip "my name is" handled first.
      const name = takeName(words, i + cue.length);
      if (name) return name;
    }
  }
  if (!opts.asked) {
    // "John Smith here", "Sarah speaking".
    const at = words.findIndex((w, k) => (w === 'here' || w === 'speaking') && k > 0);
    if (at > 0 && at <= MAX_NAME_WORDS) {
      const name = takeName(words.slice(0, at), 0);
      if (name) return name;
    }
    return undefined;
  }
  // A bare answer: drop fillers, then it must be short and made of name-like words.
  let start = 0;
  while (start < words.length && FILLERS.has(words[start] ?? '')) start++;
  const rest = words.slice(start).filter((w) => w !== 'speaking' && w !== 'here');
  if (rest.length === 0 || rest.length > MAX_NAME_WORDS) return undefined;
  return takeName(rest, 0);
}

function takeName(words: readonly string[], from: number): string | undefined {
  const out: string[] = [];
  let i = from;
  while (i < words.length && FILLERS.has(words[i] ?? '')) i++;
  for (; i < words.length && out.length < MAX_NAME_WORDS; i++) {
    const w = words[i] ?? '';
    if (STOPS.has(w)) break;
    if (!/^[a-z][a-z-]*$/.test(w) || NOT_NAMES.has(w)) return out.length > 0 ? titleCase(out) : undefined;
    out.push(w);
  }
  return out.length > 0 ? titleCase(out) : undefined;
}

/** "j o h n" or "j o h n s m i t h" -> "John" / "Johnsmith"; letters are joined into one word. */
function spelledName(words: readonly string[]): string | undefined {
  const letters = words.filter((w) => !FILLERS.has(w) && w !== 'its' && w !== 'it' && w !== 'is');
  if (letters.length < 2 || !letters.every((w) => /^[a-z]$/.test(w))) return undefined;
  return titleCase([letters.join('')]);
}

function titleCase(words: readonly string[]): string {
  // "Linda, Linda Park": a first name said twice is said once.
  if (words.length >= 2 && words[0] === words[1]) words = words.slice(1);
  return words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
}
