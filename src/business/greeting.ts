import { openStatus, partOfDay, speakWhen } from './hours.js';
import type { BusinessProfile } from './profile.js';

/** The greeting that fits the moment: open or closed, time of day, the caller's name if known. */

export const DEFAULT_GREETING =
  '{timeOfDay}{callerName}, thanks for calling {business}. How can I help you today?';
export const DEFAULT_AFTER_HOURS_GREETING =
  "{timeOfDay}{callerName}, thanks for calling {business}. We're closed right now, and we open again {nextOpen}. I can take a message, or help with anything else.";
const AFTER_HOURS_NO_NEXT =
  "{timeOfDay}{callerName}, thanks for calling {business}. We're closed right now. I can take a message, or help with anything else.";

export interface GreetingOptions {
  now: Date;
  callerName?: string | undefined;
}

export function greetingFor(business: BusinessProfile, opts: GreetingOptions): string {
  const status = openStatus(business.hours, business.timezone, opts.now);
  let template: string;
  let nextOpen = '';
  if (status.open) template = business.greeting ?? DEFAULT_GREETING;
  else {
    nextOpen = status.nextOpen ? speakWhen(status.nextOpen, opts.now, business.timezone) : '';
    template =
      business.afterHoursGreeting ??
      (nextOpen ? DEFAULT_AFTER_HOURS_GREETING : (business.greeting ?? AFTER_HOURS_NO_NEXT));
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
    .trim();
  return out.charAt(0).toUpperCase() + out.slice(1);
}
