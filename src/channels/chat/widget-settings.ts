import { z } from 'zod';
import { PLAN_LIMITS, profileFromStored } from '../../business/index.js';
import type { Business } from '../../store/index.js';
import type { Chip, WidgetLevel } from './chat-protocol.js';

/**
 * What the widget of one business looks like and where it may run: its level and branding from
 * the plan table, its quick replies, and the sites allowed to embed it
 * (`settings.widget.allowedOrigins`, absent: any site).
 */

export interface WidgetConfig {
  business: { name: string };
  level: WidgetLevel;
  branding: boolean;
  chips: Chip[];
}

/** The business's `settings.widget`; its owner is this file. */
const widgetSettingsSchema = z.object({
  widget: z
    .object({
      allowedOrigins: z.array(z.string().max(300)).max(100).optional(),
    })
    .optional(),
});

/** Enhanced and full: what most visitors ask first, in words the brain understands. */
const COMMON_CHIPS: readonly Chip[] = [
  { label: 'Opening hours', text: 'What are your opening hours?' },
  { label: 'Book a visit', text: "I'd like to book a visit." },
  { label: 'Talk to a person', text: 'Can I talk to a person?' },
];
/** Full: the business's own services as chips too, at most this many. */
const MAX_SERVICE_CHIPS = 4;

export function widgetConfigOf(b: Business): WidgetConfig {
  const limits = PLAN_LIMITS[b.plan];
  const level = limits.chatWidget;
  const chips: Chip[] = level === 'basic' ? [] : [...COMMON_CHIPS];
  if (level === 'full') {
    const { profile } = profileFromStored(b);
    for (const s of profile.services.slice(0, MAX_SERVICE_CHIPS)) {
      chips.push({ label: s.name, text: `Tell me about ${s.name.toLowerCase()}.` });
    }
  }
  return { business: { name: b.name }, level, branding: limits.brandingVisible, chips };
}

/**
 * The origins allowed to open a chat for this business: undefined for any. A stored list that
 * cannot be read allows none, so a typo never opens a locked-down widget to every site.
 */
export function allowedOriginsOf(b: Business): readonly string[] | undefined {
  const parsed = widgetSettingsSchema.safeParse(b.settings);
  if (!parsed.success) return [];
  const list = parsed.data.widget?.allowedOrigins;
  if (list === undefined) return undefined;
  return list.flatMap((o) => {
    const n = normalOrigin(o);
    return n ? [n] : [];
  });
}

/** `https://Example.com:443/` -> `https://example.com`; undefined for anything not an http(s) origin. */
export function normalOrigin(s: string): string | undefined {
  try {
    const u = new URL(s);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    return u.origin;
  } catch {
    return undefined;
  }
}

/** May a page at `origin` (the socket's Origin header) chat with this business? */
export function originAllowed(
  allowed: readonly string[] | undefined,
  origin: string | undefined,
  ownOrigin: string | undefined,
): boolean {
  if (allowed === undefined) return true;
  const o = origin === undefined ? undefined : normalOrigin(origin);
  if (o === undefined) return false;
  return o === ownOrigin || allowed.includes(o);
}
