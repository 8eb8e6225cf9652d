import {
  WEEKDAY_NAMES,
  addDays,
  fromLocal,
  hoursOn,
  speakClock,
  speakDate,
  toLocal,
  weekdayOf,
  type CivilDate,
} from '../../business/index.js';
import type { Service } from '../../business/index.js';
import { parseE164 } from '../../ids.js';
import { formatPhone } from '../extract/phone.js';
import { isNo, isYes } from '../intent.js';
import { listServices, matchService } from '../knowledge.js';
import { hasAnyPhrase } from '../text.js';
import type { BookResult, Slot } from '../tools.js';
import { PART_OF_DAY_RANGE, parseRequestedTime, type RequestedTime } from '../when.js';
import { ask, askAnythingElse, emitLead, mayAskAgain, say, type Flow, type TurnEnv } from './env.js';
import { startLead } from './lead-flow.js';
import type { BookingState } from './state.js';

/**
 * Appointments in conversation: which service, when (natural dates in the business's timezone),
 * the nearest free slots when the wished-for one is taken, a read-back before booking, and move
 * and cancel for the caller's existing booking. The database, through the tools, has the last
 * word: a slot someone else took a moment ago is refused there and the caller is offered another.
 */

const SEARCH_DAYS = 14;
const OFFER = 2;

function bookable(env: TurnEnv): Service[] {
  return env.ctx.business.services.filter((s) => s.bookable);
}

function service(env: TurnEnv, b: BookingState): Service | undefined {
  return env.ctx.business.services.find((s) => s.id === b.serviceId);
}

/** "tomorrow, Thursday, June 12, at 10 a.m." */
export function speakAppointment(startIso: string, env: TurnEnv): string {
  const tz = env.ctx.business.timezone;
  const at = toLocal(new Date(startIso), tz);
  const today = toLocal(env.ctx.now, tz);
  const date: CivilDate = { year: at.year, month: at.month, day: at.day };
  const rel =
    date.day === today.day && date.month === today.month
      ? 'today, '
      : sameCivil(date, addDays(today, 1))
        ? 'tomorrow, '
        : '';
  return `${rel}${speakDate(date)}, at ${speakClock(at.hour * 60 + at.minute)}`;
}

function sameCivil(a: CivilDate, b: CivilDate): boolean {
  return a.year === b.year && a.month === b.month && a.day === b.day;
}

function clockOf(iso: string, env: TurnEnv): string {
  const l = toLocal(new Date(iso), env.ctx.business.timezone);
  return speakClock(l.hour * 60 + l.minute);
}

function dayOf(iso: string, env: TurnEnv): string {
  const l = toLocal(new Date(iso), env.ctx.business.timezone);
  const today = toLocal(env.ctx.now, env.ctx.business.timezone);
  if (sameCivil(l, today)) return 'today';
  if (sameCivil(l, addDays(today, 1))) return 'tomorrow';
  return `on ${WEEKDAY_NAMES[l.weekday]}`;
}

// ---- starting ---------------------------------------------------------------------------------

export async function* startBooking(env: TurnEnv): Flow {
  const services = bookable(env);
  if (services.length === 0) {
    yield* startLead(env, {
      purpose: 'callback',
      intro:
        "I can't book appointments myself, but I'll take your details and someone will call you to arrange a time.",
      seedText: env.text,
    });
    return;
  }
  const named = matchService(env.text, services);
  const b: BookingState = { action: 'book', step: 'service', offered: [], attempts: 0, listed: [] };
  env.st.booking = b;
  if (named || services.length === 1) b.serviceId = (named ?? services[0])?.id;
  if (!b.serviceId) {
    yield* say(`Sure. Which service would you like to book? We offer ${listServices(services)}.`);
    yield ask(env, 'booking:service', 'open');
    return;
  }
  yield* askOrResolveWhen(
    env,
    b,
    parseRequestedTime(env.text, env.ctx.now, env.ctx.business.timezone, env.ctx.business.hours),
  );
}

export async function* startChange(env: TurnEnv, action: 'move' | 'cancel'): Flow {
  const b: BookingState = { action, step: 'find', offered: [], attempts: 0, listed: [] };
  env.st.booking = b;
  const phone = callerPhone(env);
  if (!phone) {
    yield* startLead(env, {
      purpose: 'booking',
      want: ['phone'],
      intro: 'I can help with that. First I need to find your booking.',
    });
    return;
  }
  yield* findExisting(env, b);
}

function callerPhone(env: TurnEnv) {
  const f = env.st.lead.fields.phone;
  return (f ? parseE164(f) : undefined) ?? env.ctx.callerId;
}

async function* findExisting(env: TurnEnv, b: BookingState): Flow {
  const phone = callerPhone(env);
  const found = phone ? await env.tools.findBookings({ phone }, env.signal) : [];
  const upcoming = found
    .filter((x) => new Date(x.start) > env.ctx.now)
    .sort((x, y) => x.start.localeCompare(y.start));
  const first = upcoming[0];
  if (!first) {
    env.st.booking = undefined;
    yield* startLead(env, {
      purpose: 'message',
      intro:
        "I couldn't find an upcoming booking under that number. I can take a message and have the team sort it out.",
    });
    return;
  }
  b.existing = { id: first.id, serviceId: first.serviceId, start: first.start, end: first.end };
  b.serviceId = first.serviceId;
  const name = service(env, b)?.name.toLowerCase() ?? 'appointment';
  yield* say(`I see your ${name} ${speakAppointment(first.start, env)}.`);
  if (b.action === 'cancel') {
    b.step = 'confirm-cancel';
    yield* say('Would you like me to cancel it?');
    yield ask(env, 'booking:confirm-cancel', 'yes-no');
  } else {
    b.step = 'when';
    yield* say('What day and time would you like instead?');
    yield ask(env, 'booking:when', 'date-time');
  }
}

// ---- choosing a time --------------------------------------------------------------------------

async function* askOrResolveWhen(env: TurnEnv, b: BookingState, req: RequestedTime | undefined): Flow {
  if (!req) {
    b.step = 'when';
    const name = service(env, b)?.name.toLowerCase();
    yield* say(`${name ? `Sure, ${name}. ` : ''}What day and time would suit you?`);
    yield ask(env, 'booking:when', 'date-time');
    return;
  }
  yield* resolveWhen(env, b, req);
}

function localDayBounds(env: TurnEnv, date: CivilDate): { from: Date; to: Date } {
  const tz = env.ctx.business.timezone;
  return { from: fromLocal(date, 0, tz), to: fromLocal(addDays(date, 1), 0, tz) };
}

async function* resolveWhen(env: TurnEnv, b: BookingState, req: RequestedTime, unavailable?: string): Flow {
  const svc = service(env, b);
  if (!svc) return;
  const tz = env.ctx.business.timezone;
  const today = toLocal(env.ctx.now, tz);
  const date = req.date ?? { year: today.year, month: today.month, day: today.day };
  const { from, to } = localDayBounds(env, date);
  const daySlots = await env.tools.findSlots(
    { serviceId: svc.id, from: from.toISOString(), to: to.toISOString(), limit: 100 },
    env.signal,
  );
  const before = b.asked;
  const sameDay = before !== undefined && sameCivil(before, date);
  const repeated = sameDay && before.minutes === req.minutes;
  if (!sameDay) b.listed = [];
  // Only a day the caller said is kept through a misheard hour; one implied by a time alone is not.
  const saidDay = req.date !== undefined && DAY_WORDS.test(req.text);
  b.asked = saidDay ? { ...date, ...(req.minutes !== undefined ? { minutes: req.minutes } : {}) } : undefined;
  const open = hoursOn(env.ctx.business.hours, date).ranges;
  if (req.minutes !== undefined) {
    const wanted = fromLocal(date, req.minutes, tz).getTime();
    const exact = daySlots.find((s) => new Date(s.start).getTime() === wanted);
    if (exact) {
      yield* offerConfirm(env, b, exact);
      return;
    }
    // An hour the business is never open ("three a.m.") or the same unavailable time heard
    // again is most likely a misheard hour: keep the caller's day and list its hours instead.
    const minutes = req.minutes;
    const outside =
      open.length > 0 && !open.some((r) => minutes >= toMinutes(r.open) && minutes < toMinutes(r.close));
    if (saidDay && (outside || repeated) && unavailable === undefined) {
      if (yield* offerHours(env, b, date, daySlots)) return;
    }
    const nearest = [...daySlots]
      .sort(
        (x, y) =>
          Math.abs(new Date(x.start).getTime() - wanted) - Math.abs(new Date(y.start).getTime() - wanted),
      )
      .slice(0, OFFER)
      .sort((x, y) => x.start.localeCompare(y.start));
    const asked = `${speakClock(req.minutes)} ${dayOf(fromLocal(date, req.minutes, tz).toISOString(), env)}`;
    if (hoursOn(env.ctx.business.hours, date).ranges.length === 0) {
      yield* offerNextDays(
        env,
        b,
        svc,
        addDays(date, 1),
        `We're closed on ${WEEKDAY_NAMES[weekdayOf(date)]}.`,
      );
      return;
    }
    const lead = unavailable ?? `Sorry, ${asked} isn't available.`;
    if (nearest.length > 0) {
      yield* offerChoice(env, b, nearest, lead, true);
      return;
    }
    yield* offerNextDays(env, b, svc, addDays(date, 1), lead);
    return;
  }
  let slots = daySlots;
  if (req.partOfDay) {
    const [lo, hi] = PART_OF_DAY_RANGE[req.partOfDay];
    slots = slots.filter((s) => {
      const l = toLocal(new Date(s.start), tz);
      const m = l.hour * 60 + l.minute;
      return m >= lo && m < hi;
    });
  }
  if (slots.length > 0 && req.date) {
    // A day without a clock time: its hours, a part of the day at a time, so the caller can pick.
    const part = req.partOfDay === 'evening' ? undefined : req.partOfDay;
    if (saidDay && req.partOfDay !== 'evening' && (yield* offerHours(env, b, date, daySlots, part))) return;
    yield* offerChoice(env, b, spread(slots), '', false);
    return;
  }
  if (!req.date) {
    // A part of day alone ("in the morning"): the next days that have one.
    yield* offerNextDays(env, b, svc, date, '', req.partOfDay ? PART_OF_DAY_RANGE[req.partOfDay] : undefined);
    return;
  }
  const closed = hoursOn(env.ctx.business.hours, date).ranges.length === 0;
  const lead = closed
    ? `We're closed on ${WEEKDAY_NAMES[weekdayOf(date)]}.`
    : `Sorry, we're fully booked ${dayOf(from.toISOString(), env) === 'today' ? 'today' : `on ${speakDate(date)}`}${req.partOfDay ? ` in the ${req.partOfDay}` : ''}.`;
  yield* offerNextDays(env, b, svc, addDays(date, 1), lead);
}

/** Up to three slots spread over the day: first, middle, last, so the caller has a real choice. */
function spread(slots: readonly Slot[]): Slot[] {
  if (slots.length <= 3) return [...slots];
  const mid = slots[Math.floor(slots.length / 2)];
  const first = slots[0];
  const last = slots[slots.length - 1];
  return [first, mid, last].filter((s): s is Slot => s !== undefined);
}

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

const HOURS_LISTED = 5;

/**
 * The free times on the hour of one part of `date` (morning first, then afternoon), so a caller
 * whose hour was misheard can pick theirs from a short list. False when no part is left to list.
 */
async function* offerHours(
  env: TurnEnv,
  b: BookingState,
  date: CivilDate,
  daySlots: readonly Slot[],
  part?: 'morning' | 'afternoon',
): Flow<boolean> {
  const tz = env.ctx.business.timezone;
  const parts = (part ? [part] : (['morning', 'afternoon'] as const)).filter((p) => !b.listed.includes(p));
  for (const p of parts) {
    const [lo, hi] = PART_OF_DAY_RANGE[p];
    const hours = daySlots
      .filter((s) => {
        const l = toLocal(new Date(s.start), tz);
        const m = l.hour * 60 + l.minute;
        return l.minute === 0 && m >= lo && m < hi;
      })
      .slice(0, HOURS_LISTED);
    b.listed.push(p);
    if (hours.length === 0) continue;
    b.asked = { ...date };
    const day = dayOf(hours[0]?.start ?? '', env);
    const when =
      day === 'today' ? `This ${p}` : day === 'tomorrow' ? `Tomorrow ${p}` : `${capitalise(day)} ${p}`;
    yield* offerChoice(env, b, hours, `${when} I have`, false, true, true);
    return true;
  }
  return false;
}

/**
 * The day and time in the caller's words, or, when the best reading holds none, in the
 * recognizer's first other reading that does (asked for a day and time, that is what was said).
 */
function requestedTime(env: TurnEnv): RequestedTime | undefined {
  const { timezone, hours } = env.ctx.business;
  const readings = [env.text, ...(env.turn.kind === 'speech' ? (env.turn.alternatives ?? []) : [])];
  for (const text of readings) {
    const req = parseRequestedTime(text, env.ctx.now, timezone, hours);
    if (req) return req;
  }
  return undefined;
}

const DAY_WORDS =
  /\b(today|tonight|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|week|next|\d+(st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|twentieth|thirtieth|january|february|march|april|may|june|july|august|september|october|november|december)\b/i;

/** A time said without a day, while choosing among a day's times, is on that day. */
function keepDay(req: RequestedTime, b: BookingState): RequestedTime {
  if (!b.asked || req.minutes === undefined || DAY_WORDS.test(req.text)) return req;
  return { ...req, date: { year: b.asked.year, month: b.asked.month, day: b.asked.day } };
}

/** After a "no" to the times offered or read back: the other part of the caller's day, if any. */
async function* offerMoreHours(env: TurnEnv, b: BookingState): Flow<boolean> {
  const svc = service(env, b);
  const asked = b.asked;
  if (!svc || !asked) return false;
  const date: CivilDate = { year: asked.year, month: asked.month, day: asked.day };
  const { from, to } = localDayBounds(env, date);
  const daySlots = await env.tools.findSlots(
    { serviceId: svc.id, from: from.toISOString(), to: to.toISOString(), limit: 100 },
    env.signal,
  );
  return yield* offerHours(env, b, date, daySlots);
}

async function* offerNextDays(
  env: TurnEnv,
  b: BookingState,
  svc: Service,
  fromDate: CivilDate,
  lead: string,
  window?: [number, number],
): Flow {
  const tz = env.ctx.business.timezone;
  const from = fromLocal(fromDate, 0, tz);
  const to = new Date(from.getTime() + SEARCH_DAYS * 86_400_000);
  let slots = await env.tools.findSlots(
    { serviceId: svc.id, from: from.toISOString(), to: to.toISOString(), limit: window ? 200 : OFFER },
    env.signal,
  );
  if (window) {
    slots = slots
      .filter((s) => {
        const l = toLocal(new Date(s.start), tz);
        const m = l.hour * 60 + l.minute;
        return m >= window[0] && m < window[1];
      })
      .slice(0, OFFER);
  }
  if (slots.length === 0) {
    env.st.booking = undefined;
    yield* startLead(env, {
      purpose: 'callback',
      intro:
        `${lead} I don't have any openings in the next two weeks, so I'll take your details and someone will call you to find a time.`.trim(),
    });
    return;
  }
  yield* offerChoice(
    env,
    b,
    slots,
    lead ? `${lead} The next times I have are` : 'The next times I have are',
    true,
    true,
  );
}

async function* offerChoice(
  env: TurnEnv,
  b: BookingState,
  slots: Slot[],
  lead: string,
  nearest: boolean,
  continued = false,
  dayInLead = false,
): Flow {
  b.step = 'choose';
  b.offered = slots;
  b.attempts = 0;
  const sameDay = slots.every((s) => dayOf(s.start, env) === dayOf(slots[0]?.start ?? '', env));
  const items = slots.map((s) =>
    sameDay ? clockOf(s.start, env) : `${dayOf(s.start, env)} at ${clockOf(s.start, env)}`,
  );
  const list =
    items.length === 1 ? items[0] : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
  const where = sameDay && !dayInLead ? ` ${dayOf(slots[0]?.start ?? '', env)}` : '';
  let text: string;
  if (continued) text = `${lead} ${list}${where}.`;
  else if (nearest) text = `${lead} The closest times I have are ${list}${where}.`;
  else text = `${lead} ${capitalise(dayOf(slots[0]?.start ?? '', env))} I have ${list}.`;
  yield* say(text.trim());
  yield* say(slots.length === 1 ? 'Would that work?' : 'Which would you like?');
  yield ask(env, 'booking:choose', slots.length === 1 ? 'yes-no' : 'date-time');
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

async function* offerConfirm(env: TurnEnv, b: BookingState, slot: Slot): Flow {
  b.step = 'confirm';
  b.chosen = slot;
  const name = service(env, b)?.name.toLowerCase() ?? 'appointment';
  const verb = b.action === 'move' ? `I can move your ${name} to` : `I can book you in for ${name}`;
  yield* say(`${verb} ${speakAppointment(slot.start, env)}. Shall I go ahead?`);
  yield ask(env, 'booking:confirm', 'yes-no');
}

const PICK_FIRST = ['first', 'earlier', 'earliest', 'former', 'first one'];
const PICK_SECOND = ['second', 'middle', 'other one'];
const PICK_LAST = ['last', 'later', 'latest', 'latter', 'third'];
const EARLIEST = [
  'earliest',
  'soonest',
  'next available',
  'whenever',
  'any time',
  'anytime',
  'first available',
];

export function bookingPatterns(): string[] {
  return [...PICK_FIRST, ...PICK_SECOND, ...PICK_LAST, ...EARLIEST];
}

/** Which offered slot the caller picked: "the first one", "ten thirty", "the later one", "yes" (if one). */
function pickOffered(env: TurnEnv, b: BookingState): Slot | undefined {
  const words = env.intents.words;
  const offered = b.offered;
  if (hasAnyPhrase(words, PICK_FIRST)) return offered[0];
  if (hasAnyPhrase(words, PICK_SECOND) && offered.length >= 2) return offered[1];
  if (hasAnyPhrase(words, PICK_LAST)) return offered[offered.length - 1];
  const req = parseRequestedTime(env.text, env.ctx.now, env.ctx.business.timezone, env.ctx.business.hours);
  if (req?.minutes !== undefined) {
    const tz = env.ctx.business.timezone;
    const match = offered.filter((s) => {
      const l = toLocal(new Date(s.start), tz);
      return l.hour * 60 + l.minute === req.minutes;
    });
    if (match.length === 1) return match[0];
  }
  if (offered.length === 1 && isYes(env.intents)) return offered[0];
  return undefined;
}

// ---- answers ----------------------------------------------------------------------------------

/** The caller's answer while a booking dialog is open. False when it is not about the booking. */
export async function* answerBooking(env: TurnEnv): Flow<boolean> {
  const b = env.st.booking;
  if (!b) return false;
  const r = env.intents;
  switch (b.step) {
    case 'service': {
      const svc = matchService(env.text, bookable(env));
      if (!svc) {
        if (r.intents.has('hours') || r.intents.has('human') || r.intents.has('goodbye')) return false;
        b.attempts += 1;
        if (b.attempts >= 2 || !mayAskAgain(env, 'booking:service')) {
          env.st.booking = undefined;
          yield* startLead(env, {
            purpose: 'callback',
            intro:
              "Sorry, I didn't catch which service. I'll take your details and someone will call you to book it.",
          });
          return true;
        }
        yield* say(`Sorry, which service? We offer ${listServices(bookable(env))}.`);
        yield ask(env, 'booking:service', 'open');
        return true;
      }
      b.serviceId = svc.id;
      yield* askOrResolveWhen(
        env,
        b,
        parseRequestedTime(env.text, env.ctx.now, env.ctx.business.timezone, env.ctx.business.hours),
      );
      return true;
    }
    case 'when': {
      const req = requestedTime(env);
      if (!req) {
        if (hasAnyPhrase(r.words, EARLIEST)) {
          const svc = service(env, b);
          if (svc) {
            const today = toLocal(env.ctx.now, env.ctx.business.timezone);
            yield* offerNextDays(env, b, svc, today, '');
            return true;
          }
        }
        if (
          r.intents.has('hours') ||
          r.intents.has('human') ||
          r.intents.has('goodbye') ||
          r.intents.has('cancel')
        )
          return false;
        b.attempts += 1;
        const svc = service(env, b);
        if (!mayAskAgain(env, 'booking:when') && svc) {
          // Asked twice already: offer the earliest times rather than ask a third time.
          const today = toLocal(env.ctx.now, env.ctx.business.timezone);
          yield* offerNextDays(env, b, svc, today, "Sorry, I didn't get that.");
          return true;
        }
        yield* say(
          b.attempts >= 2
            ? 'Sorry, I didn\'t get that. You can say a day and a time, like "tomorrow at 10", or say "the earliest".'
            : 'Sorry, what day and time would suit you?',
        );
        yield ask(env, 'booking:when', 'date-time');
        return true;
      }
      yield* resolveWhen(env, b, req);
      return true;
    }
    case 'choose': {
      const picked = pickOffered(env, b);
      if (picked) {
        yield* offerConfirm(env, b, picked);
        return true;
      }
      const req = parseRequestedTime(
        env.text,
        env.ctx.now,
        env.ctx.business.timezone,
        env.ctx.business.hours,
      );
      if (req) {
        yield* resolveWhen(env, b, keepDay(req, b));
        return true;
      }
      if (isNo(r)) {
        if (yield* offerMoreHours(env, b)) return true;
        b.step = 'when';
        yield* say('No problem. What other day or time would suit you?');
        yield ask(env, 'booking:when', 'date-time');
        return true;
      }
      if (
        r.intents.has('hours') ||
        r.intents.has('human') ||
        r.intents.has('goodbye') ||
        r.intents.has('cancel')
      )
        return false;
      b.attempts += 1;
      if (!mayAskAgain(env, 'booking:choose')) {
        yield* handToTeam(env);
        return true;
      }
      const items = b.offered.map((s) => clockOf(s.start, env));
      yield* say(`Sorry, which time would you like: ${items.join(' or ')}?`);
      yield ask(env, 'booking:choose', 'date-time');
      return true;
    }
    case 'confirm': {
      if (isYes(r) && b.chosen) {
        if (b.action === 'move') {
          yield* doMove(env, b);
          return true;
        }
        const f = env.st.lead.fields;
        if (!f.name || !callerPhone(env) || !f.phone) {
          b.step = 'details';
          const want = (['name', 'phone'] as const).filter((k) => !f[k]);
          yield* startLead(env, { purpose: 'booking', want: [...want], intro: 'Great.' });
          return true;
        }
        yield* doBook(env, b);
        return true;
      }
      if (
        isNo(r) &&
        !parseRequestedTime(env.text, env.ctx.now, env.ctx.business.timezone, env.ctx.business.hours)
      ) {
        // The day was probably right and the hour misheard: the day's hours to pick from.
        if (yield* offerMoreHours(env, b)) return true;
        b.step = 'when';
        yield* say('No problem. What day and time would suit you better?');
        yield ask(env, 'booking:when', 'date-time');
        return true;
      }
      const req = parseRequestedTime(
        env.text,
        env.ctx.now,
        env.ctx.business.timezone,
        env.ctx.business.hours,
      );
      if (req) {
        yield* resolveWhen(env, b, req);
        return true;
      }
      if (r.intents.has('hours') || r.intents.has('human') || r.intents.has('goodbye')) return false;
      if (!mayAskAgain(env, 'booking:confirm')) {
        yield* handToTeam(env);
        return true;
      }
      yield* say('Sorry, shall I book that? Please say yes or no.');
      yield ask(env, 'booking:confirm', 'yes-no');
      return true;
    }
    case 'confirm-cancel': {
      if (isYes(r) && b.existing) {
        const res = await env.tools.cancel({ bookingId: b.existing.id }, env.lifetime);
        const when = speakAppointment(b.existing.start, env);
        const existing = b.existing;
        env.st.booking = undefined;
        if (res.ok) {
          yield {
            type: 'booking',
            action: 'cancelled',
            bookingId: existing.id,
            serviceId: existing.serviceId,
            start: existing.start,
            end: existing.end,
          };
          yield* say(`Done. Your appointment ${when} is cancelled.`);
        } else
          yield* say(
            "Sorry, I couldn't cancel it just now. I'll let the team know so they can take care of it.",
          );
        yield* askAnythingElse(env);
        return true;
      }
      if (isNo(r)) {
        env.st.booking = undefined;
        yield* say("Okay, I'll leave it as it is.");
        yield* askAnythingElse(env);
        return true;
      }
      return false;
    }
    case 'details':
    case 'find':
      return false;
  }
}

/** Called once the lead capture the booking started has finished. */
export async function* afterDetails(env: TurnEnv): Flow {
  const b = env.st.booking;
  if (!b) return;
  if (b.step === 'find') {
    yield* findExisting(env, b);
    return;
  }
  if (b.step === 'details') {
    if (!callerPhone(env)) {
      env.st.booking = undefined;
      yield* say(
        "Sorry, I need a phone number to book. I'll pass your details to the team so they can call you.",
      );
      yield* askAnythingElse(env);
      return;
    }
    yield* doBook(env, b);
  }
}

async function* doBook(env: TurnEnv, b: BookingState): Flow {
  const svc = service(env, b);
  const slot = b.chosen;
  if (!svc || !slot) return;
  const f = env.st.lead.fields;
  const phone = callerPhone(env);
  if (!f.phone && phone) f.phone = phone;
  const req: {
    serviceId: string;
    start: string;
    customerName?: string;
    customerPhone?: NonNullable<typeof phone>;
    note?: string;
  } = {
    serviceId: svc.id,
    start: slot.start,
  };
  if (f.name) req.customerName = f.name;
  if (phone) req.customerPhone = phone;
  if (f.need) req.note = f.need;
  const res = await env.tools.book(req, env.lifetime);
  yield* afterResult(env, b, res, 'booked');
}

async function* doMove(env: TurnEnv, b: BookingState): Flow {
  if (!b.existing || !b.chosen) return;
  const res = await env.tools.reschedule({ bookingId: b.existing.id, start: b.chosen.start }, env.lifetime);
  yield* afterResult(env, b, res, 'moved');
}

async function* afterResult(
  env: TurnEnv,
  b: BookingState,
  res: BookResult,
  action: 'booked' | 'moved',
): Flow {
  if (res.ok) {
    const bk = res.booking;
    env.st.booking = undefined;
    if (!env.st.lead.fields.need) {
      const svc = env.ctx.business.services.find((s) => s.id === bk.serviceId);
      if (svc) env.st.lead.fields.need = `${svc.name} appointment`;
    }
    yield* emitLead(env);
    yield {
      type: 'booking',
      action,
      bookingId: bk.id,
      serviceId: bk.serviceId,
      start: bk.start,
      end: bk.end,
    };
    const when = speakAppointment(bk.start, env);
    const phone = callerPhone(env);
    yield* say(action === 'moved' ? `Done. Your appointment is now ${when}.` : `You're all set for ${when}.`);
    if (phone) yield* say(`We'll text a confirmation to ${formatPhone(phone)}.`);
    yield* askAnythingElse(env);
    return;
  }
  if (res.reason === 'taken' && b.chosen) {
    // Someone else got there first (the database refused the double booking): offer the nearest.
    const tz = env.ctx.business.timezone;
    const l = toLocal(new Date(b.chosen.start), tz);
    b.chosen = undefined;
    yield* resolveWhen(
      env,
      b,
      { date: { year: l.year, month: l.month, day: l.day }, minutes: l.hour * 60 + l.minute, text: '' },
      "I'm sorry, that time was just taken.",
    );
    return;
  }
  env.st.booking = undefined;
  yield* startLead(env, {
    purpose: 'callback',
    intro:
      "Sorry, I couldn't make that booking. I'll take your details and someone will call you to arrange it.",
  });
}

/** Ask the open booking question again after the brain answered something else in between. */
export async function* reaskBooking(env: TurnEnv): Flow {
  const b = env.st.booking;
  if (!b) return;
  const question = `booking:${b.step}`;
  if (!mayAskAgain(env, question) && b.step !== 'details' && b.step !== 'find') {
    yield* handToTeam(env);
    return;
  }
  switch (b.step) {
    case 'service':
      yield* say(`So, which service would you like to book? We offer ${listServices(bookable(env))}.`);
      yield ask(env, question, 'open');
      return;
    case 'when':
      yield* say('So, what day and time would suit you?');
      yield ask(env, question, 'date-time');
      return;
    case 'choose':
      yield* say(`So, would you like ${b.offered.map((s) => clockOf(s.start, env)).join(' or ')}?`);
      yield ask(env, question, 'date-time');
      return;
    case 'confirm':
      if (!b.chosen) return;
      yield* say(`So, shall I book ${speakAppointment(b.chosen.start, env)}?`);
      yield ask(env, question, 'yes-no');
      return;
    case 'confirm-cancel':
      yield* say('So, would you like me to cancel your appointment?');
      yield ask(env, question, 'yes-no');
      return;
    default:
      return;
  }
}

/** A booking question asked twice without an answer: the team arranges it instead. */
async function* handToTeam(env: TurnEnv): Flow {
  env.st.booking = undefined;
  yield* startLead(env, {
    purpose: 'callback',
    intro:
      "Sorry, I'm having trouble with that. I'll take your details and someone will call you to arrange it.",
  });
}
