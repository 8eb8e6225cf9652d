import type { BrainOutput } from '../../src/agent/brain.js';
import { RulesBrain } from '../../src/agent/rules/rules-brain.js';
import type { LeadField } from '../../src/business/profile.js';
import type { E164 } from '../../src/ids.js';
import { FakeTools } from './fakes.js';
import { chicago, plumber } from './fixtures/businesses.js';
import {
  ADDRESS_ANSWERS,
  HOLDOUT,
  NAME_ANSWERS,
  NEED_ANSWERS,
  PHONE_ANSWERS,
  PHONE_DIGITS,
  URGENCY_ANSWERS,
  type Answer,
} from './fixtures/lead-answers.js';
import { Conversation, spoken } from './helpers.js';

/**
 * Lead capture measured the way a caller experiences it: a scripted caller answers whatever the
 * agent asks (recognising the question from the agent's words), confirms read-backs, and the
 * lead the tools received at the end is compared with what the caller meant.
 */

export interface CaptureResult {
  conversations: number;
  fieldsGiven: number;
  fieldsCaptured: number;
  misses: { field: LeadField; said: string; expected: string; got: string | undefined }[];
}

type Plan = Record<'name' | 'phone' | 'address' | 'need' | 'urgency', Answer> & {
  phoneBy: 'speech' | 'keypad' | 'caller-id';
};

function plans(set: 'development' | 'holdout'): Plan[] {
  const out: Plan[] = [];
  if (set === 'holdout') {
    for (let i = 0; i < 6; i++) {
      const pick = (f: keyof typeof HOLDOUT) => HOLDOUT[f][i] as Answer;
      out.push({
        phoneBy: 'speech',
        name: pick('name'),
        phone: pick('phone'),
        address: pick('address'),
        need: pick('need'),
        urgency: pick('urgency'),
      });
    }
    return out;
  }
  const n = 60;
  for (let i = 0; i < n; i++) {
    const phoneBy = i % 4 === 3 ? 'caller-id' : i % 4 === 2 ? 'keypad' : 'speech';
    const phone =
      phoneBy === 'keypad'
        ? (PHONE_DIGITS[i % PHONE_DIGITS.length] as Answer)
        : phoneBy === 'caller-id'
          ? { say: 'yes', expect: '+15005550006' }
          : (PHONE_ANSWERS[i % PHONE_ANSWERS.length] as Answer);
    out.push({
      phoneBy,
      name: NAME_ANSWERS[i % NAME_ANSWERS.length] as Answer,
      phone,
      address: ADDRESS_ANSWERS[i % ADDRESS_ANSWERS.length] as Answer,
      need: NEED_ANSWERS[i % NEED_ANSWERS.length] as Answer,
      urgency: URGENCY_ANSWERS[i % URGENCY_ANSWERS.length] as Answer,
    });
  }
  return out;
}

function askedField(said: string): LeadField | 'confirm' | 'caller-id' | 'anything-else' | undefined {
  if (/Is that right\?|was that right/i.test(said)) return 'confirm';
  if (/calling from/i.test(said)) return 'caller-id';
  if (/your name/i.test(said)) return 'name';
  if (/number/i.test(said)) return 'phone';
  if (/address/i.test(said)) return 'address';
  if (/what do you need/i.test(said)) return 'need';
  if (/urgent/i.test(said)) return 'urgency';
  if (/anything else/i.test(said)) return 'anything-else';
  return undefined;
}

export async function runLeadCapture(set: 'development' | 'holdout' = 'development'): Promise<CaptureResult> {
  const now = chicago('2025-06-11T10:00:00');
  const result: CaptureResult = { conversations: 0, fieldsGiven: 0, fieldsCaptured: 0, misses: [] };
  for (const plan of plans(set)) {
    const tools = new FakeTools(plumber, () => now);
    const callerId = plan.phoneBy === 'caller-id' ? ('+15005550006' as E164) : undefined;
    const c = new Conversation(new RulesBrain({ tools }), {
      business: plumber,
      channel: 'phone',
      now,
      callerId,
    });
    await c.turn({ kind: 'call-started' });
    let outs: BrainOutput[] = (await c.turn("hi, I'd like to leave a message please")).outs;
    for (let step = 0; step < 20; step++) {
      const asked = askedField(spoken(outs));
      if (!asked || asked === 'anything-else') break;
      if (asked === 'confirm' || asked === 'caller-id') outs = (await c.turn('yes')).outs;
      else if (asked === 'phone' && plan.phoneBy === 'keypad')
        outs = (await c.turn({ kind: 'dtmf', digits: plan.phone.say })).outs;
      else if (asked === 'email') break;
      else outs = (await c.turn(plan[asked].say)).outs;
    }
    result.conversations += 1;
    const got = tools.lastLead?.fields ?? {};
    for (const field of ['name', 'phone', 'address', 'need', 'urgency'] as const) {
      result.fieldsGiven += 1;
      const expected = plan[field].expect;
      const value = got[field];
      if (value !== undefined && value.toLowerCase() === expected.toLowerCase()) result.fieldsCaptured += 1;
      else result.misses.push({ field, said: plan[field].say, expected, got: value });
    }
  }
  return result;
}
