import { normalize } from '../text.js';

/** What the caller needs, in their words, minus the lead-in ("I'm calling because ..."). */

const LEAD_INS = [
  /^(yeah|yes|so|um|uh|well|hi|hello|okay|ok|sure)\s+/,
  /^(i am calling|i am ringing|calling) (about|because|regarding|for|to)\s+/,
  /^(i would like|i want|i need|we need|i was hoping|i was wondering if you could|i wanted)( to| someone to| you to)?\s+/,
  /^(can|could) (you|someone|somebody)( please)?\s+/,
  /^(it is|its) (about|regarding)\s+/,
  /^(the )?(problem|issue) is( that)?\s+/,
];
const EMPTY =
  /^(leave a message|a message|take a message|callback|a call back|call back|call me back|someone to call me back|to leave a message|message|quote|a quote)$/;

export function extractNeed(text: string): string | undefined {
  let s = normalize(text);
  for (let changed = true; changed;) {
    changed = false;
    for (const re of LEAD_INS) {
      const next = s.replace(re, '');
      if (next !== s) {
        s = next;
        changed = true;
      }
    }
  }
  s = s.replace(/\s+(please|thanks|thank you)$/, '').trim();
  if (!s || EMPTY.test(s) || s.split(' ').length < 2) return undefined;
  return s.charAt(0).toUpperCase() + s.slice(1);
}
