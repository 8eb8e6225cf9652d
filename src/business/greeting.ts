import { openStatus, partOfDay, speakWhen } from './hours.js';
import type { BusinessProfile } from './profile.js';

/**
 * The greeting that fits the moment: open or closed, the caller's name if known. The defaults fit
 * in about four seconds of flite (10 words: 4.2-4.5 s with the synthesizer's own pauses) and say
 * how to reach help in an emergency; the rest (when we open, what we do) is said only if asked.
 * The question comes first, so a caller who starts talking has heard it. Keyed 1 is the brain's
 * emergency route.
 */

export const DEFAULT_GREETING = '{business}{callerName}, how can I help? For emergencies, press 1.';
export const DEFAULT_AFTER_HOURS_GREETING =
  "{business}{callerName}. We're closed, but for emergencies press 1.";
/** Trades with no emergencies of their own (a law firm, a salon) do not offer the emergency key. */
const NO_EMERGENCY_GREETING = '{business}{callerName}, how can I help?';
const NO_EMERGENCY_AFTER_HOURS = "{business}{callerName}. We're closed now, but I can take a message.";
const NO_EMERGENCY_TRADES: ReadonlySet<string> = new Set(['legal', 'salon']);

export interface GreetingOptions {
  now: Date;
  callerName?: string | undefined;
}

export function greetingFor(business: BusinessProfile, opts: GreetingOptions): string {
  const status = openStatus(business.hours, business.timezone, opts.now);
  let template: string;
  let nextOpen = '';
  const emergencies = !NO_EMERGENCY_TRADES.has(business.trade);
  if (status.open) template = business.greeting ?? (emergencies ? DEFAULT_GREETING : NO_EMERGENCY_GREETING);
  else {
    // Still filled in for owners' own templates that say it.
    nextOpen = status.nextOpen ? speakWhen(status.nextOpen, opts.now, business.timezone) : '';
    template =
      business.afterHoursGreeting ?? (emergencies ? DEFAULT_AFTER_HOURS_GREETING : NO_EMERGENCY_AFTER_HOURS);
  }
  return renderTemplate(template, {
    business: business.name,
    timeOfDay: `Good ${partOfDay(opts.now, business.timezone)}`,
    callerName: opts.callerName,
    nextOpen,
  });
}

export interface TemplateValues {
  business: string;
  timeOfDay: string;
  callerName?: string | undefined;
  nextOpen?: string;
}

export function renderTemplate(template: string, v: TemplateValues): string {
  const name = v.callerName?.trim();
  let out = template;
  // "{timeOfDay}{callerName}," or "Hi {callerName}," collapse cleanly when the name is unknown.
  out = name
    ? out.replace(/\{callerName\}/g, (_m, off: number) =>
        off > 0 && /[\w}]/.test(out[off - 1] ?? '') ? `, ${name}` : name,
      )
    : out.replace(/,?\s*\{callerName\}/g, '');
  out = out
    .replace(/\{business\}/g, v.business)
    .replace(/\{timeOfDay\}/g, v.timeOfDay)
    .replace(/\{nextOpen\}/g, v.nextOpen ?? '');
  // "8 a.m." before a template's own period would read "a.m.."; collapse it.
  out = out
    .replace(/\s+/g, ' ')
    .replace(/\s+([,.!?])/g, '$1')
    .replace(/(?<!\.)\.\.(?!\.)/g, '.')
    // "{callerName}, thanks..." with no name known: no leading comma.
    .replace(/^[\s,]+/, '')
    .trim();
  return out.charAt(0).toUpperCase() + out.slice(1);
}

/**
 * The greeting with its keypad offer left out, for where no keypad is: a chat, WhatsApp, a call
 * that listens for speech only. "We're closed, but for emergencies press 1." says "We're closed.";
 * "For emergencies, press 1." leaves nothing worth saying. An emergency written or said is still
 * raised: only the key is gone.
 */
export function withoutKeypadOffer(greeting: string): string {
  return greeting
    .split(/(?<=[.!?])\s+/)
    .map(withoutKeypad)
    .filter(Boolean)
    .join(' ');
}

function withoutKeypad(sentence: string): string {
  const keypad = /\bpress\s+(1|one)\b/i.exec(sentence);
  if (!keypad) return sentence;
  const comma = sentence.lastIndexOf(',', keypad.index);
  const head = comma >= 0 ? sentence.slice(0, comma).trim() : '';
  return head && !/^for emergencies$/i.test(head) ? `${head}.` : '';
}
