import type { Trade } from '../../business/index.js';
import type { EmergencyCategory } from '../brain.js';
import { EMERGENCY_LABELS, type EmergencyDetection } from '../emergency.js';
import {
  ask,
  emitLead,
  hasKeypad,
  say,
  isVoice,
  transcriptWithTurn,
  type Flow,
  type TurnEnv,
} from './env.js';
import { startLead } from './lead-flow.js';
import { handoverSummary } from './handover.js';

/**
 * What happens once an emergency is heard: the alert goes out first (it must not wait for speech
 * or be cancelled by a barge-in), the caller hears what to do to stay safe, then is put through to
 * the on-call number where there is one, or asked the few details the team needs to call back.
 */

const SAFETY: Partial<Record<EmergencyCategory, string>> = {
  gas: "Please leave the building now, don't switch anything on or off, and once you're outside call your gas company's emergency line or 911.",
  'carbon-monoxide': 'Please get everyone out into fresh air now, and call 911 if anyone feels unwell.',
  fire: 'Please get everyone out and call 911 right away.',
  'electrical-hazard':
    "Please keep away from it, and if it's safe to do so, switch off the power at the main breaker. If there's smoke or fire, call 911.",
  flooding: 'If you can do it safely, turn off the main water valve, and keep away from any wet electrics.',
  'burst-pipe': 'If you can do it safely, turn off the main water valve.',
  sewage: 'Please keep everyone away from the affected area and avoid using the drains.',
  'no-heat': 'Please keep everyone warm in the meantime.',
  breathing: 'If this is life-threatening, please hang up and call 911 now.',
  'chest-pain': 'If this is life-threatening, please hang up and call 911 now.',
  bleeding: "If the bleeding is heavy or won't stop, please go to the emergency room or call 911.",
  swelling: 'If you have any trouble breathing or swallowing, please call 911 or go to the emergency room.',
  'dental-trauma': 'If you can, keep any knocked-out tooth in a little milk and bring it with you.',
};

/** True when this conversation has already raised an emergency of this category. */
export function alreadyRaised(env: TurnEnv, category: EmergencyCategory): boolean {
  return env.st.emergencies.includes(category);
}

export interface RaiseOptions {
  /** What the caller said that it is about (default: this turn's words). */
  said?: string;
  /** For the summary when there are no words: how the caller reported it ("pressed 1"). */
  how?: string;
}

export async function* raiseEmergency(env: TurnEnv, d: EmergencyDetection, opts: RaiseOptions = {}): Flow {
  env.st.emergencies.push(d.category);
  env.st.emergencyCheck = undefined;
  const said = opts.said ?? env.text;
  const summary = opts.how
    ? `Emergency (${EMERGENCY_LABELS[d.category]}): the caller ${opts.how}.`
    : `Emergency (${EMERGENCY_LABELS[d.category]}): the caller said "${said}".`;
  // Started before anything is spoken and not awaited here: the alert must leave at once.
  const alert = env.tools
    .raiseEmergency(
      {
        category: d.category,
        trigger: d.trigger,
        summary,
        transcript: transcriptWithTurn(env),
        callerId: env.ctx.callerId,
      },
      env.lifetime,
    )
    .catch((err: unknown) => env.logger?.error({ err }, 'raising the emergency failed'));
  yield { type: 'emergency', category: d.category, trigger: d.trigger, summary };
  yield* say("I'm sorry you're dealing with this. I'm alerting our on-call team right now.");
  const safety = SAFETY[d.category];
  if (safety) yield* say(safety);
  await alert;

  const b = env.ctx.business;
  const lead = env.st.lead;
  if (!lead.fields.need && said.trim()) lead.fields.need = `Emergency: ${said}`;
  if (!lead.fields.urgency) lead.fields.urgency = 'urgent';
  if (b.emergencyNumber && isVoice(env)) {
    // The call leaves the brain here: keep what is known as a lead too.
    yield* emitLead(env);
    const handover = handoverSummary(env, `Emergency: ${EMERGENCY_LABELS[d.category]}.`);
    await env.tools
      .transfer({ to: b.emergencyNumber, summary: handover, reason: 'emergency' }, env.lifetime)
      .catch((err: unknown) => env.logger?.error({ err }, 'announcing the emergency transfer failed'));
    yield* say("I'm connecting you to our on-call team now. Please stay on the line.");
    yield { type: 'transfer', to: b.emergencyNumber, summary: handover, reason: 'emergency' };
    return;
  }
  const hasAddress =
    lead.want.includes('address') || (b.leadQuestions ?? []).some((q) => q.field === 'address');
  const addressTrade = !['dental', 'medical', 'legal', 'salon'].includes(b.trade);
  // Keyed 1 with nothing said yet: first what is happening, then how to reach them.
  const what = lead.fields.need ? [] : (['need'] as const);
  yield* startLead(env, {
    purpose: 'emergency',
    want: [...what, 'name', ...(hasAddress || addressTrade ? (['address'] as const) : []), 'phone'],
    intro: what.length
      ? 'So they can help you fast, I need a few details.'
      : 'So they can reach you fast, I just need a couple of details.',
  });
}

// ---- weak evidence: one directed question --------------------------------------------------------

/** The one question asked when the words hint at an emergency but do not make it clear. */
const CHECK_BY_TRADE: Record<Trade, string> = {
  plumbing: 'Is water or gas leaking right now?',
  hvac: 'Do you smell gas, or are you without heat in freezing weather right now?',
  electrical: 'Are there sparks, smoke, or a burning smell right now?',
  dental: 'Are you in severe pain or bleeding right now?',
  medical: 'Are you in severe pain or bleeding right now?',
  legal: 'Is anyone in danger right now?',
  salon: 'Is anyone in danger right now?',
  general: 'Is anything leaking, burning, or is anyone in danger right now?',
};

/** Life-safety categories the trade's question does not cover get their own. */
const CHECK_BY_CATEGORY: Partial<Record<EmergencyCategory, string>> = {
  fire: 'Is something on fire right now?',
  'carbon-monoxide': 'Is a carbon monoxide alarm going off right now?',
  breathing: 'Is someone having trouble breathing right now?',
  'chest-pain': 'Is someone having chest pain right now?',
};

export function emergencyQuestion(trade: Trade, category: EmergencyCategory): string {
  return CHECK_BY_CATEGORY[category] ?? CHECK_BY_TRADE[trade];
}

export const EMERGENCY_CHECK = 'emergency-check';

/** Ask the directed question; the answer decides (rules-brain.ts `answerEmergencyCheck`). */
export async function* askEmergencyCheck(env: TurnEnv, d: EmergencyDetection): Flow {
  env.st.emergencyAsked = true;
  env.st.awaiting = 'emergency-check';
  env.st.emergencyCheck = {
    category: d.category,
    trigger: d.trigger,
    text: env.text,
    alternatives: env.turn.kind === 'speech' ? [...(env.turn.alternatives ?? [])] : [],
  };
  yield* say(emergencyQuestion(env.ctx.business.trade, d.category));
  yield ask(env, EMERGENCY_CHECK, 'yes-no');
}

/** "Is water or gas leaking right now?" once more, with the keypad as the sure way. */
export async function* reaskEmergencyCheck(env: TurnEnv, category: EmergencyCategory): Flow {
  env.st.awaiting = 'emergency-check';
  yield* say(
    `Sorry, I didn't catch that. ${emergencyQuestion(env.ctx.business.trade, category)} ${
      hasKeypad(env) ? "Say yes or no, or press 1 if it's an emergency." : 'Please answer yes or no.'
    }`,
  );
  yield ask(env, EMERGENCY_CHECK, 'yes-no');
}

/** Keyed 1 before the caller said anything (the greeting offers it): always the emergency route. */
export async function* raiseKeyed(env: TurnEnv): Flow {
  yield* raiseEmergency(
    env,
    { category: 'other', trigger: 'keypad 1', score: 3 },
    { said: '', how: 'pressed 1 for an emergency' },
  );
}
