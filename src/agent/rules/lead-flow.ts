import { openStatus, speakWhen } from '../../business/index.js';
import { PLAN_LIMITS } from '../../business/index.js';
import type { BusinessProfile, LeadField, LeadQuestion, Trade } from '../../business/index.js';
import { parseE164 } from '../../ids.js';
import {
  extractAddress,
  extractEmail,
  extractName,
  extractNeed,
  extractPhone,
  extractUrgency,
} from '../extract/index.js';
import { formatPhone, lastFour, phoneFromDigits } from '../extract/phone.js';
import { isNo, isYes } from '../intent.js';
import { hasAnyPhrase, normalize } from '../text.js';
import type { ExpectedSpeech } from '../../shared/index.js';
import {
  ask,
  askAnythingElse,
  emitLead,
  hasKeypad,
  isVoice,
  mayAskAgain,
  say,
  type Flow,
  type TurnEnv,
} from './env.js';
import type { LeadPurpose } from './state.js';

/**
 * Lead capture: the configured questions asked one at a time, answers taken from speech or the
 * keypad, names and numbers read back on voice channels, the caller's number offered as the
 * callback number, and the lead saved after every answer so a dropped call leaves what was said.
 */

const ADDRESSLESS: ReadonlySet<Trade> = new Set(['dental', 'medical', 'legal', 'salon']);

export function leadQuestionsFor(business: BusinessProfile): LeadQuestion[] {
  const configured: LeadQuestion[] =
    business.leadQuestions ??
    (['name', 'phone', 'address', 'need', 'urgency'] as const)
      // A dentist or a lawyer does not come to the caller's address.
      .filter((f) => !(f === 'address' && ADDRESSLESS.has(business.trade)))
      .map((field) => ({ field, required: true }));
  return configured.slice(0, PLAN_LIMITS[business.plan].leadQuestions);
}

const PROMPTS: Record<LeadField, string> = {
  name: 'Can I get your name, please?',
  phone: "What's the best number to reach you? You can say it, or key it in followed by the pound key.",
  address: "What's the address where you need us?",
  need: 'And briefly, what do you need help with?',
  urgency: 'How urgent is it? Do you need someone today, this week, or is it flexible?',
  email: "What's your email address?",
};

export function leadPatterns(): string[] {
  return SKIP;
}

const SKIP = [
  'i do not know',
  'do not know',
  'skip',
  'rather not',
  'prefer not',
  'no idea',
  'not sure',
  'pass',
];

/** What the caller will say to each question, for the recognizer. */
const HINTS: Record<LeadField, ExpectedSpeech> = {
  name: 'name',
  phone: 'phone',
  address: 'address',
  need: 'open',
  urgency: 'open',
  email: 'open',
};

function promptFor(env: TurnEnv, field: LeadField): string {
  // Keyed 1 with nothing said yet: the first thing the team needs is what is happening.
  if (field === 'need' && env.st.lead.purpose === 'emergency')
    return "Please tell me briefly what's happening.";
  const q = leadQuestionsFor(env.ctx.business).find((x) => x.field === field);
  if (q?.prompt) return q.prompt;
  return field === 'phone' && !hasKeypad(env) ? TYPED_PHONE_PROMPT : PROMPTS[field];
}

/** The number asked for where it is typed (chat, WhatsApp). */
const TYPED_PHONE_PROMPT = "What's the best number to reach you?";

const KEYPAD = { expect: 'digits', maxDigits: 15, finishOnKey: '#' } as const;

/** The listen after a field's question; phone numbers may also be keyed in. */
function listenFor(env: TurnEnv, field: LeadField, question = `lead:${field}`) {
  return field === 'phone' ? ask(env, question, 'phone', KEYPAD) : ask(env, question, HINTS[field]);
}

async function* askKeypad(env: TurnEnv, lead: string): Flow {
  env.st.lead.step = 'keypad';
  yield* say(
    hasKeypad(env)
      ? `${lead} Please key in the number on your keypad, followed by the pound key.`
      : `${lead} Please write the number with its area code, digits only.`,
  );
  yield ask(env, 'lead:phone:keypad', 'phone', KEYPAD);
}

/** Take what an opening sentence already tells ("this is John, my sink is blocked, call me at ..."). */
export function prefillLead(env: TurnEnv, text: string, opts: { needFromText: boolean }): boolean {
  const f = env.st.lead.fields;
  let changed = false;
  const name = f.name ? undefined : extractName(text, { asked: false });
  if (name) {
    f.name = name;
    changed = true;
  }
  const phone = f.phone ? undefined : extractPhone(text);
  if (phone) {
    f.phone = phone;
    changed = true;
  }
  const address = f.address ? undefined : extractAddress(text, { asked: false });
  if (address) {
    f.address = address;
    changed = true;
  }
  if (opts.needFromText && !f.need) {
    const need = extractNeed(withoutIntroductions(text, name));
    // An address or a number said on its own is not a need.
    const rest =
      need
        ?.toLowerCase()
        .replace(/\d+/g, ' ')
        .split(/\s+/)
        .filter((w) => w.length > 2) ?? [];
    if (need && rest.length >= 3 && !(address && rest.length <= address.split(' ').length)) {
      f.need = need;
      changed = true;
    }
  }
  const email = f.email ? undefined : extractEmail(text);
  if (email) {
    f.email = email;
    changed = true;
  }
  return changed;
}

/** The text minus "this is Maria Lopez" and "can someone call me back", leaving the need. */
function withoutIntroductions(text: string, name: string | undefined): string {
  let t = normalize(text);
  if (name) {
    const n = normalize(name);
    t = t.replace(
      new RegExp(`\\b((hi|hello|hey|yes|yeah)\\s+)?((this|it) is|my name is|name is|i am|its)?\\s*${n}\\b`),
      ' ',
    );
  }
  return t
    .replace(
      /\b(can|could|would) (someone|somebody|you|anyone)( please)? (call|ring|phone|get back to) me( back)?\b.*$/,
      ' ',
    )
    .replace(/\b(please )?(call|ring) me back\b.*$/, ' ')
    .replace(/\b(i would like to|i want to|can i) leave a message( for [a-z ]+)?\b/, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export interface StartLeadOptions {
  purpose: LeadPurpose;
  /** Questions for this capture; default: the business's configured ones. */
  want?: LeadField[];
  /** What to say first ("Sure, I can take a message."). */
  intro?: string;
  /** The caller's words that started this, mined for answers already given. */
  seedText?: string;
}

export async function* startLead(env: TurnEnv, opts: StartLeadOptions): Flow {
  const lead = env.st.lead;
  lead.active = true;
  lead.purpose = opts.purpose;
  lead.want = opts.want ?? leadQuestionsFor(env.ctx.business).map((q) => q.field);
  lead.skipped = [];
  lead.asking = undefined;
  lead.step = undefined;
  lead.pending = undefined;
  lead.attempts = 0;
  lead.complete = false;
  if (opts.seedText && prefillLead(env, opts.seedText, { needFromText: opts.purpose !== 'booking' })) {
    yield* emitLead(env);
  }
  if (opts.intro) yield* say(opts.intro);
  yield* askNext(env);
}

function nextField(env: TurnEnv): LeadField | undefined {
  const lead = env.st.lead;
  return lead.want.find((f) => lead.fields[f] === undefined && !lead.skipped.includes(f));
}

async function* askNext(env: TurnEnv): Flow {
  const lead = env.st.lead;
  const field = nextField(env);
  lead.attempts = 0;
  lead.pending = undefined;
  lead.heard = undefined;
  if (!field) {
    yield* finish(env);
    return;
  }
  lead.asking = field;
  if (field === 'phone' && env.ctx.callerId && isVoice(env)) {
    lead.step = 'offer-caller-id';
    yield* say(
      `Is the number you're calling from, ending in ${lastFour(env.ctx.callerId)}, the best one to reach you?`,
    );
    yield ask(env, 'lead:phone:caller-id', 'yes-no');
    return;
  }
  if (!mayAskAgain(env, `lead:${field}`)) {
    // Asked twice in a row already (e.g. around silences): move on rather than ask a third time.
    yield* reaskField(env, field, 'Sorry.');
    return;
  }
  lead.step = 'ask';
  yield* say(promptFor(env, field));
  yield listenFor(env, field);
}

function isComplete(env: TurnEnv): boolean {
  const fields = env.st.lead.fields;
  return leadQuestionsFor(env.ctx.business).every((q) => !q.required || fields[q.field] !== undefined);
}

async function* finish(env: TurnEnv, opts: { saved?: boolean } = {}): Flow {
  const lead = env.st.lead;
  lead.active = false;
  lead.asking = undefined;
  lead.step = undefined;
  lead.complete = isComplete(env);
  if (!opts.saved) yield* emitLead(env);
  if (lead.purpose === 'booking') return; // the booking flow carries on from here
  const first = lead.fields.name?.split(' ')[0];
  const thanks = first ? `Thank you, ${first}.` : 'Thank you.';
  if (lead.purpose === 'emergency') {
    yield* say(`${thanks} The team has your details and will call you right back.`);
  } else {
    const b = env.ctx.business;
    const status = openStatus(b.hours, b.timezone, env.ctx.now);
    const when = status.open
      ? 'shortly'
      : status.nextOpen
        ? `when we open, ${speakWhen(status.nextOpen, env.ctx.now, b.timezone)}`
        : 'as soon as they can';
    yield* say(
      `${thanks} I've passed your details on, and someone from ${b.name} will get back to you ${when}.`,
    );
  }
  yield* askAnythingElse(env);
}

async function* accept(env: TurnEnv, field: LeadField, value: string, ack?: string): Flow {
  const lead = env.st.lead;
  lead.fields[field] = value;
  lead.step = undefined;
  lead.pending = undefined;
  const last = nextField(env) === undefined;
  if (last) lead.complete = isComplete(env);
  yield* emitLead(env);
  if (ack) yield* say(ack);
  if (last) yield* finish(env, { saved: true });
  else yield* askNext(env);
}

async function* confirm(env: TurnEnv, field: LeadField, value: string, lead0 = ''): Flow {
  const lead = env.st.lead;
  if (!isVoice(env)) {
    yield* accept(env, field, value, field === 'name' ? `Thanks, ${value.split(' ')[0]}.` : 'Got it.');
    return;
  }
  const question = `lead:${field}:confirm`;
  if (!mayAskAgain(env, question)) {
    // Read back twice in a row without a yes or a no: keep it rather than ask a third time.
    yield* keepAsBest(env, field, value);
    return;
  }
  if (field === 'name' && lead.step !== 'spell' && lead.step !== 'confirm') lead.heard ??= value;
  lead.step = 'confirm';
  lead.pending = value;
  const readBack =
    field === 'phone'
      ? `I have ${formatPhone(parseE164(value) ?? (value as never))}. Is that right?`
      : `I have your name as ${value}. Is that right?`;
  yield* say(`${lead0} ${readBack}`.trim());
  yield ask(env, question, 'yes-no');
}

/** Better a name spelt slightly wrong than none; a number the caller would not confirm is not kept. */
async function* keepAsBest(env: TurnEnv, field: LeadField, value: string): Flow {
  if (field === 'name')
    yield* accept(env, field, env.st.lead.heard ?? value, "No problem, I'll note it as best I can.");
  else yield* skip(env, field, `Sorry about that. ${fallbackNumber(env)}`);
}

function fallbackNumber(env: TurnEnv): string {
  return env.ctx.callerId ? "I'll pass on the number you're calling from instead." : "Let's move on.";
}

async function* skip(env: TurnEnv, field: LeadField, why: string): Flow {
  env.st.lead.skipped.push(field);
  env.st.lead.step = undefined;
  yield* say(why);
  yield* askNext(env);
}

function extract(env: TurnEnv, field: LeadField): string | undefined {
  const { turn, text } = env;
  if (turn.kind === 'dtmf')
    return field === 'phone' ? phoneFromDigits(turn.digits.replace(/[#*]/g, '')) : undefined;
  switch (field) {
    case 'name':
      return extractName(text, { asked: true });
    case 'phone':
      return extractPhone(text);
    case 'address':
      return extractAddress(text, { asked: true });
    case 'need':
      return extractNeed(text) ?? (text.trim().split(/\s+/).length >= 2 ? text.trim() : undefined);
    case 'urgency':
      return extractUrgency(text);
    case 'email':
      return extractEmail(text);
  }
}

/**
 * Handle the caller's answer while a capture is running. Returns false when the turn is not an
 * answer at all (the caller asked something else), so the brain can deal with it and ask again.
 */
export async function* answerLead(env: TurnEnv): Flow<boolean> {
  const lead = env.st.lead;
  const field = lead.asking;
  if (!lead.active || !field) return false;
  const r = env.intents;

  if (lead.step === 'confirm' && lead.pending) {
    if (!isYes(r)) {
      // A correction in the same breath: "no, it's 312 555 0199", "no, it's Jon".
      const corrected = extract(env, field);
      const words = env.text.trim().split(/\s+/).length;
      if (corrected && corrected !== lead.pending && (field === 'phone' || words > 1)) {
        yield* confirm(env, field, corrected);
        return true;
      }
    }
    if (isYes(r)) {
      yield* accept(
        env,
        field,
        lead.pending,
        field === 'name' ? `Thanks, ${lead.pending.split(' ')[0]}.` : 'Great.',
      );
      return true;
    }
    if (isNo(r)) {
      lead.attempts += 1;
      // A name: read back, spelt, read back again; then the best reading is kept.
      if (lead.attempts >= (field === 'name' ? 2 : 3)) {
        yield* keepAsBest(env, field, lead.pending);
        return true;
      }
      if (field === 'phone') yield* askKeypad(env, 'Sorry about that.');
      else {
        lead.step = 'spell';
        yield* say('Sorry about that. Could you spell it for me?');
        yield ask(env, `lead:${field}:spell`, 'spelling');
      }
      return true;
    }
    yield* confirm(env, field, lead.pending, 'Sorry, was that right? Please say yes or no.');
    return true;
  }

  if (lead.step === 'offer-caller-id' && env.ctx.callerId) {
    const spoken = extract(env, 'phone');
    if (spoken && spoken !== env.ctx.callerId) {
      yield* confirm(env, 'phone', spoken);
      return true;
    }
    if (isYes(r)) {
      yield* accept(env, 'phone', env.ctx.callerId, 'Great.');
      return true;
    }
    if (isNo(r)) {
      lead.step = 'ask';
      yield* say(
        hasKeypad(env)
          ? "What's the best number? You can say it, or key it in followed by the pound key."
          : "What's the best number?",
      );
      yield listenFor(env, 'phone');
      return true;
    }
    if (!mayAskAgain(env, 'lead:phone:caller-id')) {
      // No clear answer twice: the number they are calling from is the likeliest right one.
      yield* accept(env, 'phone', env.ctx.callerId, "I'll note the number you're calling from.");
      return true;
    }
    yield* say('Sorry, is the number you are calling from the best one? Please say yes or no.');
    yield ask(env, 'lead:phone:caller-id', 'yes-no');
    return true;
  }

  if (
    env.turn.kind === 'speech' &&
    field !== 'phone' &&
    hasAnyPhrase(r.words, SKIP, 1) &&
    r.words.length <= 6
  ) {
    yield* skip(env, field, "That's okay.");
    return true;
  }
  // "Can I talk to a person?" is not an address: other requests go back to the brain first.
  if (env.turn.kind === 'speech' && otherIntent(env) && !(field === 'phone' && extractPhone(env.text)))
    return false;
  const value = extract(env, field);
  if (value) {
    if (field === 'name' || field === 'phone') yield* confirm(env, field, value);
    else yield* accept(env, field, value, ackFor(field));
    return true;
  }
  if (env.turn.kind === 'speech' && hasAnyPhrase(r.words, SKIP, 1)) {
    yield* skip(env, field, "That's okay.");
    return true;
  }
  lead.attempts += 1;
  yield* reaskField(env, field, "Sorry, I didn't catch that.");
  return true;
}

/**
 * The field's question again after an answer that was not one. Never a third time in a row: a
 * number goes to the keypad, then is skipped (the caller ID stands in); other fields are skipped.
 */
async function* reaskField(env: TurnEnv, field: LeadField, sorry: string): Flow {
  const lead = env.st.lead;
  if (field === 'phone') {
    if (lead.step !== 'keypad' && mayAskAgain(env, 'lead:phone')) {
      lead.step = 'ask';
      yield* say(
        hasKeypad(env)
          ? `${sorry} What's the best number? You can say it digit by digit, or key it in followed by the pound key.`
          : `${sorry} What's the best number? Please write it with the area code.`,
      );
      yield listenFor(env, 'phone');
    } else if (mayAskAgain(env, 'lead:phone:keypad')) yield* askKeypad(env, sorry);
    else yield* skip(env, field, `Sorry, I didn't get that. ${fallbackNumber(env)}`);
    return;
  }
  if (lead.step === 'spell' || !mayAskAgain(env, `lead:${field}`) || lead.attempts >= 2) {
    yield* skip(env, field, "Sorry, I didn't get that. Let's move on.");
    return;
  }
  lead.step = 'ask';
  yield* say(`${sorry} ${promptFor(env, field)}`);
  yield listenFor(env, field);
}

function otherIntent(env: TurnEnv): boolean {
  const i = env.intents.intents;
  return i.has('hours') || i.has('human') || i.has('goodbye') || i.has('repeat') || i.has('cancel');
}

function ackFor(field: LeadField): string | undefined {
  return field === 'address' || field === 'need' ? 'Got it.' : undefined;
}

/** Re-ask the pending question after the brain handled something else mid-capture. */
export async function* reaskLead(env: TurnEnv, sorry = ''): Flow {
  const lead = env.st.lead;
  if (!lead.active || !lead.asking) return;
  if (lead.step === 'confirm' && lead.pending) {
    yield* confirm(env, lead.asking, lead.pending, sorry);
    return;
  }
  if (lead.step === 'offer-caller-id' || !sorry) {
    if (sorry) yield* say(sorry);
    yield* askNext(env);
    return;
  }
  yield* reaskField(env, lead.asking, sorry);
}
