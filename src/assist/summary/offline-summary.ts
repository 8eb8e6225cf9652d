import type { CallDetail } from '../../store/index.js';
import { NO_FACTS, type CallFacts } from './call-facts.js';

/** What the owner reads about a call afterwards: a few sentences and what to do next. */
export interface WrittenSummary {
  text: string;
  actionItems: string[];
}

type Topic = 'emergency' | 'complaint' | 'cancellation' | 'booking' | 'pricing' | 'question';

/** In the order they matter to the owner. */
const TOPICS: readonly Topic[] = ['emergency', 'complaint', 'cancellation', 'booking', 'pricing', 'question'];

/** Plain words for each topic, tolerant of how a recognizer spells them. */
const TOPIC_WORDS: Record<Exclude<Topic, 'question'>, RegExp> = {
  emergency:
    /\b(burst|flood(ed|ing)?|gas (smell|leak)|smell(s|ing)? (of )?gas|no heat|sparking|on fire|water everywhere|emergency)\b/,
  complaint:
    /\b(not happy|unhappy|terrible|complain(t|ed|ing)?|still (broken|leaking|not working)|manager|refund|unacceptable|waste of|awful|disappointed|rude)\b/,
  cancellation: /\b(cancel(l?ed|l?ing|lation)?|call (it )?off|(don't|do not|no longer) need)\b/,
  booking: /\b(appointment|book(ing)?|schedule|come out|available|slot|send someone)\b/,
  pricing: /\b(how much|price[sd]?|pricing|cost(s)?|quote|estimate|rates?|charge[sd]?|fees?|expensive)\b/,
};

const MAX_ACTION_ITEMS = 6;

/**
 * The written summary without a language model: who called about what, what the receptionist
 * or the agent did, and the follow-ups, for AI-answered and assisted calls alike. Built from the
 * call's turns, events and assist suggestions, and the receptionist's records (`facts`).
 */
export function summarizeOffline(detail: CallDetail, facts: CallFacts = NO_FACTS): WrittenSummary {
  const callerWords = detail.turns.filter((t) => t.speaker === 'caller').map((t) => t.text.trim());
  const spoken = callerWords.filter(Boolean);
  const assisted = detail.answeredBy === 'human' || detail.turns.some((t) => t.speaker === 'human_agent');
  const lead = facts.lead;
  const name =
    lead?.name ?? facts.bookings.find((b) => b.customerName)?.customerName ?? nameFromWords(spoken);
  const phone =
    lead?.phone ??
    (detail.fromNumber && /^\+\d{7,15}$/.test(detail.fromNumber) ? detail.fromNumber : undefined);
  const topics = topicsOf(detail, facts, spoken);
  const emergency = facts.emergencies[0];
  const emergencyCategory =
    emergency?.category ?? eventPayload(detail, 'emergency')?.category?.toString() ?? undefined;
  const when = (d: Date) => formatWhen(d, facts.timezone);
  const booked = facts.bookings.filter((b) => b.status === 'booked');
  const cancelled = facts.bookings.filter((b) => b.status === 'cancelled');
  const bookingEvents = detail.events.filter((e) => e.type === 'booking');
  const transfer = eventPayload(detail, 'transfer');
  const transferFailed = detail.events.some(
    (e) => e.type === 'transfer-result' && e.payload.transferred === false,
  );

  const sentences: string[] = [];
  const who = name ?? 'A caller';
  if (spoken.length === 0) {
    sentences.push(
      detail.turns.length === 0 && detail.suggestions.length === 0
        ? `${who} called; nothing was said that could be understood.`
        : `${who} called; their words could not be made out.`,
    );
  } else if (lead?.need) {
    sentences.push(`${who} called about ${sentenceCase(lead.need, false)}.`);
  } else {
    sentences.push(`${who} called and said: ${quote(firstSubstantive(spoken), 120)}`);
  }
  const did = topics.map((t) => topicPhrase(t, emergencyCategory));
  if (did.length > 0) sentences.push(`They ${joinAnd(did)}.`);

  if (assisted) {
    const shown = detail.suggestions.length;
    const intents = unique(detail.suggestions.map((s) => s.intent ?? s.kind).filter(Boolean) as string[]);
    sentences.push(
      shown > 0
        ? `A person at the business took the call with assist listening; ${shown} suggestion${shown === 1 ? ' was' : 's were'} shown (${intents.slice(0, 5).join(', ')}).`
        : 'A person at the business took the call with assist listening.',
    );
  }
  for (const b of booked) sentences.push(`${b.service} was booked for ${when(b.startsAt)}.`);
  for (const b of cancelled)
    sentences.push(`The ${b.service} booking for ${when(b.startsAt)} was cancelled.`);
  if (booked.length + cancelled.length === 0 && bookingEvents.length > 0)
    sentences.push(`A booking was ${String(bookingEvents.at(-1)!.payload.action ?? 'made')}.`);
  if (emergency?.summary) sentences.push(`Emergency: ${sentenceCase(emergency.summary, true)}`);
  if (lead && !assisted)
    sentences.push(
      lead.complete ? 'The receptionist took their details.' : 'The receptionist took some of their details.',
    );
  for (const q of facts.questions.slice(0, 2))
    sentences.push(`They left a question for the owner: ${quote(q, 140)}`);
  if (transfer)
    sentences.push(
      transferFailed
        ? 'The call was to be transferred to a person, but the transfer failed.'
        : `The call was transferred to a person${transfer.reason === 'emergency' ? ' as an emergency' : ''}.`,
    );
  const duration = formatDuration(detail.durationSec);
  if (duration) sentences.push(`The call lasted ${duration}.`);

  const them = name ?? 'the caller';
  const reach = phone ? ` (${phone})` : '';
  const about = lead?.need ? ` about ${clip(lead.need, 80)}` : '';
  const items: string[] = [];
  if (topics.includes('emergency'))
    items.push(
      `Check on the ${emergencyCategory ?? 'reported'} emergency with ${them}${reach}${lead?.address ? ` at ${lead.address}` : ''}`,
    );
  if (topics.includes('complaint')) items.push(`Follow up the complaint with ${them}${reach}`);
  for (const b of booked) items.push(`Confirm booking ${when(b.startsAt)} (${b.service}) with ${them}`);
  if (topics.includes('cancellation'))
    items.push(
      cancelled.length > 0
        ? `Offer ${them} a new time for the cancelled ${cancelled[0]!.service}`
        : `Handle ${name ? `${name}'s` : "the caller's"} cancellation request${reach}`,
    );
  for (const q of facts.questions.slice(0, 2)) items.push(`Answer ${them}'s question: ${clip(q, 100)}`);
  if (transferFailed) items.push(`Call back ${them}${reach}: the transfer to a person failed`);
  if (booked.length === 0 && !topics.includes('emergency') && !topics.includes('complaint')) {
    if (topics.includes('pricing')) items.push(`Send ${them} a quote${about}${reach}`);
    if (topics.includes('booking')) items.push(`Call back ${them}${reach} to book${about}`);
    if (
      !topics.includes('pricing') &&
      !topics.includes('booking') &&
      lead &&
      !transfer &&
      facts.questions.length === 0
    )
      items.push(`Call back ${them}${reach}${about}`);
  }

  return { text: sentences.join(' '), actionItems: unique(items).slice(0, MAX_ACTION_ITEMS) };
}

function topicsOf(detail: CallDetail, facts: CallFacts, spoken: readonly string[]): Topic[] {
  const found = new Set<Topic>();
  const words = spoken.join(' \n ').toLowerCase();
  for (const [topic, re] of Object.entries(TOPIC_WORDS) as Array<[Topic, RegExp]>)
    if (re.test(words)) found.add(topic);
  for (const s of detail.suggestions)
    if (s.kind === 'intent' && s.intent && (TOPICS as readonly string[]).includes(s.intent))
      found.add(s.intent as Topic);
  if (facts.emergencies.length > 0 || detail.events.some((e) => e.type === 'emergency'))
    found.add('emergency');
  // "cancel my appointment" names an appointment without wanting one.
  if (found.has('cancellation')) found.delete('booking');
  if (
    facts.bookings.some((b) => b.status === 'booked') ||
    detail.events.some((e) => e.type === 'booking' && e.payload.action !== 'cancelled')
  )
    found.add('booking');
  if (facts.bookings.some((b) => b.status === 'cancelled')) found.add('cancellation');
  if (facts.questions.length > 0 || detail.events.some((e) => e.type === 'question-for-owner'))
    found.add('question');
  return TOPICS.filter((t) => found.has(t));
}

function topicPhrase(t: Topic, category: string | undefined): string {
  switch (t) {
    case 'emergency':
      return `reported an emergency${category ? ` (${category})` : ''}`;
    case 'complaint':
      return 'were unhappy and complained';
    case 'cancellation':
      return 'wanted to cancel';
    case 'booking':
      return 'wanted to book a visit';
    case 'pricing':
      return 'asked about prices';
    case 'question':
      return 'had a question for the owner';
  }
}

function eventPayload(detail: CallDetail, type: string): Record<string, unknown> | undefined {
  return detail.events.find((e) => e.type === type)?.payload;
}

const NOT_A_NAME = new Set([
  'calling',
  'looking',
  'having',
  'trying',
  'not',
  'and',
  'from',
  'with',
  'the',
  'a',
  'i',
  'um',
  'uh',
]);

/** "my name is john smith" -> "John Smith" (a recognizer writes lower case). */
function nameFromWords(spoken: readonly string[]): string | undefined {
  for (const line of spoken) {
    const m = /\b(?:my name is|my name's|name is)\s+([a-z'-]+)(?:\s+([a-z'-]+))?/i.exec(line);
    if (!m) continue;
    const parts = [m[1], m[2]].filter((w): w is string => !!w && !NOT_A_NAME.has(w.toLowerCase()));
    if (parts.length === 0 || NOT_A_NAME.has(m[1]!.toLowerCase())) continue;
    return parts.map((w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase()).join(' ');
  }
  return undefined;
}

const FILLER =
  /^(?:(?:hi|hello|hey|yes|yeah|um|uh|er|oh|so|well|good (?:morning|afternoon|evening)|there)[\s,.!]+)+/i;

/** The caller's first words worth quoting: past greetings and fillers, three words or more. */
function firstSubstantive(spoken: readonly string[]): string {
  for (const line of spoken) {
    const s = line.replace(FILLER, '').trim();
    if (s.split(/\s+/).length >= 3) return s;
  }
  return spoken[0] ?? '';
}

/** Someone's words in quotes, as a sentence: the full stop only where they did not end it. */
function quote(s: string, max: number): string {
  const q = clip(s, max);
  return `"${q}"${/[.?!…]$/.test(q) ? '' : '.'}`;
}

function clip(s: string, max: number): string {
  const t = s.replace(/\s+/g, ' ').trim();
  if (t.length <= max) return t;
  const cut = t.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[,;:.]$/, '')}…`;
}

function sentenceCase(s: string, finish: boolean): string {
  const t = s.trim().replace(/\s+/g, ' ');
  const lowered = finish ? t[0]!.toUpperCase() + t.slice(1) : t[0]!.toLowerCase() + t.slice(1);
  const unpunctuated = lowered.replace(/[.!?]+$/, '');
  return finish ? `${unpunctuated}.` : unpunctuated;
}

function joinAnd(parts: readonly string[]): string {
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)!}`;
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

/** "Tue 9 am", "Tue 2:30 pm", in the business's time zone. */
export function formatWhen(d: Date, timeZone = 'UTC'): string {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      month: 'short',
      day: 'numeric',
      hour: 'numeric',
      minute: '2-digit',
      hour12: true,
    }).formatToParts(d);
  } catch {
    return formatWhen(d, 'UTC');
  }
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  const minute = get('minute');
  const time = `${get('hour')}${minute === '00' ? '' : `:${minute}`} ${get('dayPeriod').toLowerCase()}`;
  return `${get('weekday')} ${get('month')} ${get('day')}, ${time}`;
}

function formatDuration(sec: number | null | undefined): string | undefined {
  if (sec === null || sec === undefined || sec <= 0) return undefined;
  if (sec < 60) return `${sec} s`;
  const min = Math.round(sec / 60);
  return `${min} min`;
}
