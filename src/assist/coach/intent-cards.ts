import {
  EMERGENCY_LABELS,
  matchService,
  tokens,
  findPhrase,
  type EmergencyCategory,
} from '../../agent/index.js';
import { openStatus, speakClock, speakWhen, toLocal, type BusinessProfile } from '../../business/index.js';
import type { Suggestion } from '../events.js';
import type { IntentFinding } from './intents.js';

/**
 * What an intent card says: something the agent can act on at a glance, from the business's own
 * profile (its prices, its hours, its on-call number) where it has them, else a plain coaching line.
 */

export interface CardText {
  content: string;
  priority: Suggestion['priority'];
}

export interface CardContext {
  business: BusinessProfile;
  /** Everything the customer has said in this utterance (best reading and alternatives). */
  readings: readonly string[];
  now: Date;
}

export function intentCard(f: IntentFinding, ctx: CardContext): CardText {
  switch (f.intent) {
    case 'pricing':
      return { content: pricingCard(ctx), priority: 'medium' };
    case 'booking':
      return { content: bookingCard(f, ctx), priority: 'medium' };
    case 'cancellation':
      return {
        content: 'Customer wants to cancel — ask why, and offer to reschedule before cancelling.',
        priority: 'medium',
      };
    case 'complaint':
      return { content: complaintCard(ctx), priority: 'high' };
    case 'emergency':
      return emergencyCard(f, ctx);
  }
}

function service(ctx: CardContext) {
  for (const r of ctx.readings) {
    const s = matchService(r, ctx.business.services);
    if (s) return s;
  }
  return undefined;
}

function pricingCard(ctx: CardContext): string {
  const s = service(ctx);
  if (s?.price)
    return `Customer asked about pricing — ${s.name} is ${s.price}. Quote it, then offer to book a visit.`;
  if (s)
    return `Customer asked about pricing for ${s.name.toLowerCase()} — no set price: offer an estimate visit.`;
  const priced = ctx.business.services.filter((x) => x.price).slice(0, 3);
  if (priced.length > 0) {
    const list = priced.map((x) => `${x.name.toLowerCase()} ${x.price ?? ''}`.trim()).join(', ');
    return `Customer asked about pricing — ask what the job is. Prices: ${list}.`;
  }
  return 'Customer asked about pricing — ask what the job is and offer an estimate visit.';
}

const WHEN_WORDS =
  'today|tonight|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|morning|afternoon|evening|weekend';

function bookingCard(f: IntentFinding, ctx: CardContext): string {
  const s = service(ctx);
  const what = s ? ` (${s.name.toLowerCase()}, ${s.durationMinutes} min)` : '';
  // A day or part of day the customer asked for is what to check first.
  const words = tokens(ctx.readings[0] ?? '');
  const m = findPhrase(words, `${WHEN_WORDS} morning|afternoon|evening`) ?? findPhrase(words, WHEN_WORDS);
  const asked = m ? words.slice(m.start, m.end).join(' ') : undefined;
  const offer = asked ? `check ${asked}` : `offer ${nextOpening(ctx)}`;
  if (f.reschedule)
    return `Customer wants to reschedule${what} — ${offer}, and confirm the old time is released.`;
  return `Customer wants to book${what} — ${offer}; confirm name and address.`;
}

/** "the next opening today (open until 6 p.m.)", "Monday at 8 a.m.". */
function nextOpening(ctx: CardContext): string {
  const { hours, timezone } = ctx.business;
  try {
    const st = openStatus(hours, timezone, ctx.now);
    if (st.open) {
      const close = toLocal(st.closesAt, timezone);
      return `a time today (open until ${speakClock(close.hour * 60 + close.minute)})`;
    }
    if (st.nextOpen) return `${speakWhen(st.nextOpen, ctx.now, timezone)} or the next free time`;
  } catch {
    // A profile without usable hours: the generic line below.
  }
  return 'the next free time';
}

function complaintCard(ctx: CardContext): string {
  const said = ctx.readings.map((r) => tokens(r));
  const refund = said.some((w) => findPhrase(w, 'refund*'));
  const manager = said.some((w) => findPhrase(w, 'manager|supervisor|owner'));
  if (refund)
    return 'Customer is unhappy and mentions a refund — apologise, note the details, and offer a callback from the owner; do not promise the refund.';
  if (manager)
    return 'Customer is unhappy and wants someone senior — apologise, acknowledge, and offer a callback from the owner.';
  return 'Customer is unhappy — apologise, acknowledge the problem, and offer a callback from the owner.';
}

/** The first thing to say for safety. */
const SAFETY: Record<EmergencyCategory, string> = {
  flooding: 'shut off the water main and keep away from wet outlets',
  'burst-pipe': 'shut off the water main',
  sewage: 'stop using drains and toilets, keep away from the water',
  'no-water': 'ask if neighbours have water and whether the main valve is open',
  gas: 'tell them to leave now, no switches or flames, and call the gas company or 911 from outside',
  'carbon-monoxide': 'tell them to get everyone outside and call 911',
  'no-heat': 'ask who is at home (babies, elderly) and keep them warm',
  'electrical-hazard': 'tell them to keep away and switch off at the breaker only if safe',
  fire: 'tell them to get out and call 911',
  bleeding: 'firm pressure with clean gauze for 15 minutes',
  swelling: 'ask about fever or trouble swallowing or breathing (then 911)',
  'severe-pain': 'offer the first emergency slot',
  'dental-trauma': 'keep a knocked-out tooth in milk and come in within the hour',
  breathing: 'tell them to call 911 now',
  'chest-pain': 'tell them to call 911 now',
  other: 'ask what is happening and whether anyone is in danger',
};

/** +12125550147 → (212) 555-0147; other numbers as stored. */
export function formatNumber(e164: string): string {
  const m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  return m ? `(${m[1]}) ${m[2]}-${m[3]}` : e164;
}

function emergencyCard(f: IntentFinding, ctx: CardContext): CardText {
  const category = f.emergency?.category ?? 'other';
  const dispatch = ctx.business.emergencyNumber
    ? `dispatch on-call ${formatNumber(ctx.business.emergencyNumber)}`
    : 'take the address and escalate now';
  if (f.emergency?.strong === false)
    return {
      content: `Possible emergency (${EMERGENCY_LABELS[category]}?) — ask if it is happening now; if so: ${SAFETY[category]}, then ${dispatch}.`,
      priority: 'high',
    };
  return {
    content: `Possible emergency (${EMERGENCY_LABELS[category]}) — check safety: ${SAFETY[category]}; ${dispatch}.`,
    priority: 'high',
  };
}
