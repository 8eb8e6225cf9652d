import {
  WEEKDAY_NAMES,
  openStatus,
  speakClock,
  speakDate,
  speakWeek,
  speakWhen,
  toLocal,
  isoDate,
} from '../business/index.js';
import type { BusinessProfile, Trade } from '../business/index.js';
import type { ChatMessage } from '../providers/llm/index.js';
import type { ConversationContext, TurnInput } from './brain.js';
import type { LlmState } from './llm-state.js';
import { leadQuestionsFor } from './rules/lead-flow.js';

/**
 * What the LLM is told: a system prompt built from the business profile and what this
 * conversation has established, then the transcript as chat messages, then the caller's turn.
 * Rebuilt on every turn, so profile edits apply to the next turn and nothing depends on
 * conversation memory the store does not keep.
 */

const TRADE_LABEL: Record<Trade, string> = {
  plumbing: 'a plumbing company',
  hvac: 'a heating and air-conditioning company',
  electrical: 'an electrical contractor',
  dental: 'a dental practice',
  medical: 'a medical practice',
  legal: 'a law office',
  salon: 'a salon',
  general: 'a small business',
};

const EMERGENCY_EXAMPLES: Record<Trade, string> = {
  plumbing: 'flooding, a burst pipe, sewage backing up, no water at all',
  hvac: 'a gas smell, a carbon monoxide alarm, no heat in freezing weather',
  electrical: 'sparks, a burning smell from wiring or outlets, a power line down, someone shocked',
  dental: 'heavy bleeding, facial swelling, severe pain, a knocked-out tooth',
  medical: 'trouble breathing, chest pain, heavy bleeding',
  legal: 'someone just arrested or a hearing today',
  salon: 'an allergic reaction or a burn from a treatment',
  general: 'fire, a gas smell, flooding, someone hurt',
};

/** Profile text beyond this is left to search_knowledge (a long prompt slows every turn). */
const MAX_FAQ_CHARS = 3000;

export interface PromptOptions {
  /** Phone-like channels get spoken-style rules and read-backs. */
  readonly voice: boolean;
}

export function systemPrompt(ctx: ConversationContext, st: LlmState, opts: PromptOptions): string {
  const b = ctx.business;
  const lines: string[] = [];
  lines.push(
    `You are the receptionist for ${b.name}, ${TRADE_LABEL[b.trade]}. ${
      opts.voice ? 'You are talking with a caller on the phone.' : 'You are chatting with a customer.'
    }`,
  );
  lines.push('', '# Now', ...nowLines(b, ctx.now));
  lines.push('', '# Opening hours', speakWeek(b.hours), ...holidayLines(b, ctx.now));
  if (b.services.length > 0) {
    lines.push('', '# Services (use the id in tool calls)');
    for (const s of b.services) {
      const facts = [
        `${s.durationMinutes} minutes`,
        s.price,
        s.bookable ? undefined : 'not bookable by phone',
      ];
      const extra = s.description ? ` ${s.description}` : '';
      lines.push(`- ${s.name} (id: ${s.id}): ${facts.filter(Boolean).join(', ')}.${extra}`);
    }
  }
  const faq = faqLines(b);
  if (faq.length > 0) lines.push('', '# Frequently asked', ...faq);

  const leadFields = leadQuestionsFor(b).map((q) => q.field);
  lines.push('', '# How to behave');
  if (opts.voice) {
    lines.push(
      '- This is a phone call: answer in one to three short sentences of plain spoken English. No lists, no markdown, no emoji, no web links. Say times like "9 a.m." and prices like "$129".',
      '- Ask one question at a time. Read names and phone numbers back to confirm them.',
      '- A reply of yours that ends with "—" was cut off: the caller did not hear the rest.',
    );
  } else {
    lines.push('- Answer briefly and in a friendly tone, one question at a time.');
  }
  lines.push(
    '- State only facts given here or returned by a tool. For anything else call search_knowledge first. If it finds nothing, say you will pass the question on, and call record_question.',
    `- To take a message or arrange a call back, collect: ${leadFields.join(', ')}. Call save_lead as soon as you learn any of them, again whenever you learn more.`,
  );
  if (ctx.callerId) {
    lines.push(
      '- The caller\'s number is known from caller ID. Offer it as the callback number ("Is the number you\'re calling from the best one to reach you?"); if they agree, call save_lead with use_caller_id true.',
    );
  }
  if (b.services.some((s) => s.bookable)) {
    lines.push(
      '- To book: find the service, ask for a day, call find_slots, offer at most three times, and call book_appointment with a start exactly as find_slots returned it, only after the caller agrees. Get their name first.',
      '- To move or cancel a booking: call find_my_bookings, confirm which one, then move_booking or cancel_booking.',
    );
  }
  lines.push(
    `- Emergencies (for example ${EMERGENCY_EXAMPLES[b.trade]}): call raise_emergency at once, tell the caller you are alerting the on-call team, and give one short safety tip.${
      b.emergencyNumber && opts.voice
        ? ' Then call transfer_to_human with reason "emergency".'
        : ' Then collect their name, address and callback number for the team.'
    }`,
    '- If the caller asks for a person, call transfer_to_human with reason "caller-request"; if that is not possible, offer to take a message.',
    '- When the caller has nothing else, say a short goodbye and call end_call.',
  );

  const known = knownLines(st);
  if (known.length > 0) lines.push('', '# Established in this conversation', ...known);
  const opening = openingGreeting(ctx);
  if (opening) lines.push('', `# The call began with you saying`, opening);
  return lines.join('\n');
}

function nowLines(b: BusinessProfile, now: Date): string[] {
  const l = toLocal(now, b.timezone);
  const status = openStatus(b.hours, b.timezone, now);
  const state = status.open
    ? `We are open now, until ${speakWhen(status.closesAt, now, b.timezone)}.`
    : status.nextOpen
      ? `We are closed now; we open again ${speakWhen(status.nextOpen, now, b.timezone)}.`
      : 'We are closed now.';
  return [
    `It is ${WEEKDAY_NAMES[l.weekday]} ${isoDate(l)} (${speakDate(l)}), ${speakClock(l.hour * 60 + l.minute)}, in the business's time zone (${b.timezone}). Use YYYY-MM-DD dates in that zone for tools.`,
    state,
  ];
}

function holidayLines(b: BusinessProfile, now: Date): string[] {
  const today = isoDate(toLocal(now, b.timezone));
  const horizon = isoDate(toLocal(new Date(now.getTime() + 45 * 86_400_000), b.timezone));
  return b.hours.holidays
    .filter((h) => h.date >= today && h.date <= horizon)
    .sort((x, y) => x.date.localeCompare(y.date))
    .map((h) => {
      const ranges = h.ranges ?? [];
      const hours = ranges.length
        ? `open ${ranges.map((r) => `${speakClock(toMinutes(r.open))} to ${speakClock(toMinutes(r.close))}`).join(' and ')}`
        : 'closed';
      return `- ${h.date}${h.name ? ` (${h.name})` : ''}: ${hours}.`;
    });
}

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

function faqLines(b: BusinessProfile): string[] {
  const out: string[] = [];
  let used = 0;
  for (const f of b.faq) {
    const line = `- Q: ${f.question} A: ${f.answer}`;
    used += line.length;
    if (used > MAX_FAQ_CHARS) break;
    out.push(line);
  }
  return out;
}

function knownLines(st: LlmState): string[] {
  const out: string[] = [];
  // The callback number itself stays out of the prompt (it may come from caller ID, which the
  // model is never given); its last digits are enough to confirm it.
  const lead = Object.entries(st.lead)
    .filter(([, v]) => v)
    .map(([k, v]) => (k === 'phone' ? `phone: ending in ${String(v).slice(-4)}` : `${k}: ${v}`));
  if (lead.length > 0) out.push(`- Lead saved: ${lead.join('; ')}.`);
  if (st.emergencies.length > 0) {
    out.push(`- Emergency already raised (${st.emergencies.join(', ')}); the on-call team has been alerted.`);
  }
  for (const bk of st.bookings)
    out.push(`- Booking ${bk.id}: ${bk.serviceId} at ${bk.start} (${bk.status}).`);
  return out;
}

/** The first agent line, when the transcript opens with it (chat templates want a user turn first). */
function openingGreeting(ctx: ConversationContext): string | undefined {
  const first = ctx.transcript[0];
  return first && first.speaker === 'agent' ? first.text : undefined;
}

/** The conversation as chat messages: system prompt, transcript (same speakers merged), this turn. */
export function buildMessages(
  ctx: ConversationContext,
  turn: TurnInput,
  st: LlmState,
  opts: PromptOptions,
): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: 'system', content: systemPrompt(ctx, st, opts) }];
  const entries = ctx.transcript[0]?.speaker === 'agent' ? ctx.transcript.slice(1) : ctx.transcript;
  const turns: { role: 'user' | 'assistant'; content: string }[] = [];
  const push = (role: 'user' | 'assistant', content: string) => {
    const last = turns[turns.length - 1];
    // Some servers' chat templates refuse two messages in a row from the same side.
    if (last && last.role === role) last.content = `${last.content}\n${content}`;
    else turns.push({ role, content });
  };
  for (const e of entries) {
    if (e.speaker === 'caller') push('user', e.text);
    else push('assistant', e.interrupted ? `${e.text}—` : e.text);
  }
  push('user', turnText(turn));
  if (turns[0]?.role === 'assistant') turns.unshift({ role: 'user', content: '(The call connected.)' });
  for (const t of turns) messages.push(t);
  return messages;
}

export function turnText(turn: TurnInput): string {
  switch (turn.kind) {
    case 'speech':
      return turn.text;
    case 'dtmf':
      return `(The caller pressed ${turn.digits.split('').join(' ')} on the keypad.)`;
    case 'no-input':
      return '(The caller said nothing.)';
    case 'unclear':
      return '(The caller said something that could not be made out.)';
    case 'call-started':
      return '(The call connected.)';
  }
}

/**
 * Text the model meant to be read, made speakable: markdown marks, list bullets, link syntax and
 * emoji removed. Returns '' when nothing speakable is left.
 */
export function speakable(sentence: string): string {
  const s = sentence
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[*_`~]+/g, '')
    .replace(/^\s*(#+|[-•]|\d+[.)])\s+/, '')
    .replace(/\p{Extended_Pictographic}\uFE0F?/gu, '')
    .replace(/(?<!\.)\.\.(?!\.)/g, '.')
    .replace(/\s+/g, ' ')
    .trim();
  return /[\p{L}\p{N}]/u.test(s) ? s : '';
}

/**
 * Drops `<think>…</think>` blocks from streamed text (reasoning models behind servers that put
 * the reasoning in the content): it must never be spoken. Holds back a possible tag prefix.
 */
export class ThinkFilter {
  private inside = false;
  private held = '';

  push(delta: string): string {
    let text = this.held + delta;
    this.held = '';
    let out = '';
    for (;;) {
      const tag = this.inside ? '</think>' : '<think>';
      const at = text.indexOf(tag);
      if (at >= 0) {
        if (!this.inside) out += text.slice(0, at);
        text = text.slice(at + tag.length);
        this.inside = !this.inside;
        continue;
      }
      const keep = partialSuffix(text, tag);
      if (!this.inside) out += text.slice(0, text.length - keep);
      this.held = text.slice(text.length - keep);
      return out;
    }
  }

  /** End of stream: a held fragment that never became a tag is text after all. */
  flush(): string {
    const rest = this.inside ? '' : this.held;
    this.held = '';
    return rest;
  }
}

/** Length of the longest suffix of `text` that is a proper prefix of `tag`. */
function partialSuffix(text: string, tag: string): number {
  for (let n = Math.min(tag.length - 1, text.length); n > 0; n--) {
    if (text.endsWith(tag.slice(0, n))) return n;
  }
  return 0;
}
