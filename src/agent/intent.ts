import { findPhrase, hasAnyPhrase, tokens } from './text.js';

/**
 * What the caller wants, from (noisy) words. Each intent is a set of phrase patterns (see
 * text.ts: "word*" is a prefix, "a|b" alternatives, long words match with small misspellings).
 * Emergencies are not here: they are checked on every turn by emergency.ts before any intent.
 */

export type Intent =
  | 'goodbye'
  | 'thanks'
  | 'yes'
  | 'no'
  | 'repeat'
  | 'hours'
  | 'human'
  | 'book'
  | 'reschedule'
  | 'cancel'
  | 'message'
  | 'callback'
  | 'price'
  | 'services'
  | 'location'
  | 'help';

interface IntentRule {
  intent: Intent;
  phrases: string[];
  /** Words allowed between phrase words. */
  gap?: number;
}

const RULES: IntentRule[] = [
  {
    intent: 'goodbye',
    phrases: [
      'bye',
      'goodbye',
      'good bye',
      'bye bye',
      'that is all',
      'that is it',
      'that is everything',
      'that will be all',
      'that would be all',
      'nothing else',
      'no that is all',
      'have a good day|night|one|evening|weekend',
      'have a nice day',
      'talk to you later',
      'see you',
      'hang up',
      'i am done',
      'i am all set',
      'all set',
      'i am good thanks',
      'i am good thank',
      'no thank you',
      'no thanks',
      'nope that is',
    ],
  },
  { intent: 'thanks', phrases: ['thank*', 'thanks', 'cheers', 'appreciate it', 'much appreciated'] },
  {
    intent: 'yes',
    phrases: [
      'yes',
      'yeah',
      'yep',
      'yup',
      'yea',
      'correct',
      'that is right',
      'right',
      'sure',
      'okay',
      'ok',
      'please do',
      'absolutely',
      'exactly',
      'affirmative',
      'sounds good',
      'go ahead',
      'perfect',
      'that is it',
      'that works',
      'fine',
      'uh huh',
      'mhm',
      'mm hmm',
      'spot on',
    ],
  },
  {
    intent: 'no',
    phrases: [
      'no',
      'nope',
      'nah',
      'not really',
      'not right',
      'wrong',
      'incorrect',
      'that is not',
      'negative',
      'not quite',
      'different',
      'another',
      'other number',
      'not it',
      'not correct',
    ],
  },
  {
    intent: 'repeat',
    phrases: [
      'say that again',
      'repeat',
      'come again',
      'pardon',
      'sorry what',
      'what did you say',
      'one more time',
      'did not catch',
      'did not hear',
    ],
  },
  {
    intent: 'hours',
    gap: 2,
    phrases: [
      'hours',
      'opening times',
      'open|opened|opening',
      'close|closed|closing',
      'how late',
      'what time do you',
      'until what time',
      'are you around',
      'your ours',
    ],
  },
  {
    intent: 'human',
    gap: 2,
    phrases: [
      'talk|speak|speaking|talking|connect|put|transfer to|with person|human|someone|somebody|representative|operator|agent|receptionist|manager|owner|technician|real|live|actual|staff',
      'real person',
      'live person',
      'human being',
      'representative',
      'operator',
      'transfer me',
      'put me through',
      'speak with someone',
      'is anyone there',
      'not a robot',
      'are you a robot',
      'a real human',
    ],
  },
  {
    intent: 'book',
    gap: 2,
    phrases: [
      'book',
      'booking',
      'appointment',
      'schedule',
      'reserve',
      'reservation',
      'set up a time',
      'come out',
      'come by',
      'send someone',
      'get someone out',
      'make an appointment',
      'available',
      'availability',
      'opening for',
      'next available',
      'can i come in',
      'see the dentist|doctor',
    ],
  },
  {
    intent: 'reschedule',
    gap: 2,
    phrases: [
      'reschedule',
      'move my|the appointment|booking',
      'change my|the appointment|booking|time',
      'different time',
      'move it',
    ],
  },
  {
    intent: 'cancel',
    gap: 2,
    phrases: ['cancel', 'cancellation', 'call off', 'not going to make it', 'can not make it'],
  },
  {
    intent: 'message',
    gap: 2,
    phrases: [
      'leave a message',
      'take a message',
      'leave my number',
      'leave my details',
      'leave a note',
      'pass on a message',
      'pass a message',
      'message',
      'voicemail',
    ],
  },
  {
    intent: 'callback',
    gap: 2,
    phrases: [
      'call me back',
      'callback',
      'call back',
      'get back to me',
      'have someone call',
      'give me a call',
      'quote',
      'estimate',
    ],
  },
  {
    intent: 'price',
    gap: 2,
    phrases: [
      'how much',
      'price',
      'prices',
      'pricing',
      'cost',
      'costs',
      'charge',
      'rate',
      'rates',
      'fee',
      'fees',
      'expensive',
      'cheap',
    ],
  },
  {
    intent: 'services',
    gap: 2,
    phrases: [
      'what services',
      'what do you do',
      'do you do',
      'do you offer',
      'do you fix',
      'do you handle',
      'do you work on',
      'services',
    ],
  },
  {
    intent: 'location',
    gap: 2,
    phrases: [
      'where are you',
      'address',
      'located',
      'location',
      'directions',
      'service area',
      'do you come to',
      'do you cover',
    ],
  },
  { intent: 'help', phrases: ['help', 'what can you do', 'options', 'menu'] },
];

export function intentPatterns(): string[] {
  return RULES.flatMap((r) => r.phrases);
}

export interface IntentResult {
  intents: Set<Intent>;
  words: string[];
}

export function classify(text: string): IntentResult {
  const words = tokens(text);
  const intents = new Set<Intent>();
  for (const rule of RULES) {
    if (hasAnyPhrase(words, rule.phrases, rule.gap ?? 0)) intents.add(rule.intent);
  }
  refine(words, intents);
  return { intents, words };
}

/** Corrections where a bare keyword misleads. */
function refine(words: readonly string[], intents: Set<Intent>): void {
  // "No, that's not right", "not quite", "that's not it": a yes word under "not" is a no.
  const first = words[0] ?? '';
  const YES_FIRST = /^(yes|yeah|yep|yup|yea|correct|sure|ok|okay|right)$/;
  if (
    intents.has('yes') &&
    findPhrase(words, 'not right|correct|it|quite|exactly|true|good|okay|ok|fine|sure')
  ) {
    intents.delete('yes');
    // "Not sure" is neither; so is "yup, not right" (a recognizer's mix of both).
    if (YES_FIRST.test(first)) intents.delete('no');
    else if (!findPhrase(words, 'not sure')) intents.add('no');
  }
  // "no" inside "I have no water" or "do you know" is not a refusal: only a leading no counts.
  if (intents.has('no')) {
    const lead = words.slice(0, 3).join(' ');
    if (
      !/^(no|nope|nah|not|wrong|incorrect|negative|that is not|different|another)\b/.test(lead) &&
      words.length > 4
    )
      intents.delete('no');
  }
  if (
    intents.has('yes') &&
    words.length > 6 &&
    !/^(yes|yeah|yep|yup|correct|sure|ok|okay|right)\b/.test(words[0] ?? '')
  )
    intents.delete('yes');
  // "help" alone asks what the agent can do; "I need help with a broken water heater" is a need.
  if (
    intents.has('help') &&
    words.length > 4 &&
    !hasAnyPhrase(words, ['what can you do', 'options', 'menu'])
  ) {
    intents.delete('help');
  }
  // "thank you bye" is a goodbye; "thank you, and what are your hours?" is not.
  if (
    intents.has('goodbye') &&
    words.length > 8 &&
    !hasAnyPhrase(words.slice(-4), ['bye', 'goodbye', 'all', 'everything', 'it'])
  )
    intents.delete('goodbye');
  // A bare open/close needs a question about the business around it ("I opened the valve" is not).
  if (
    intents.has('hours') &&
    !hasAnyPhrase(words, ['hours', 'opening times', 'how late', 'until what time', 'your ours'])
  ) {
    const context = [
      'you',
      'your',
      'when',
      'what time',
      'today',
      'tomorrow',
      'tonight',
      'now',
      'still',
      'weekend*',
      'holiday*',
    ];
    const days = ['monday*', 'tuesday*', 'wednesday*', 'thursday*', 'friday*', 'saturday*', 'sunday*'];
    if (!hasAnyPhrase(words, [...context, ...days])) intents.delete('hours');
  }
  if (intents.has('reschedule')) intents.delete('book');
  if (intents.has('cancel') && intents.has('book') && !findPhrase(words, 'book* appointment'))
    intents.delete('book');
}

/**
 * A yes that is plainly a yes ("yes", "yeah it is"), not a word a recognizer puts in for noise
 * ("perfect", "okay", "right"): what raising an emergency on a yes needs.
 */
export function isClearYes(r: IntentResult): boolean {
  return (
    isYes(r) &&
    hasAnyPhrase(r.words, [
      'yes',
      'yeah',
      'yep',
      'yup',
      'yea',
      'correct',
      'absolutely',
      'it is',
      'there is',
      'uh huh',
      'mm hmm',
      'affirmative',
    ])
  );
}

export function isYes(r: IntentResult): boolean {
  return r.intents.has('yes') && !r.intents.has('no');
}
export function isNo(r: IntentResult): boolean {
  return r.intents.has('no') && !r.intents.has('yes');
}
