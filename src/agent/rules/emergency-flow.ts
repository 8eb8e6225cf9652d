import type { EmergencyCategory } from '../brain.js';
import type { EmergencyDetection } from '../emergency.js';
import { emitLead, say, isVoice, transcriptWithTurn, type Flow, type TurnEnv } from './env.js';
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

const LABEL: Record<EmergencyCategory, string> = {
  flooding: 'flooding',
  'burst-pipe': 'burst pipe',
  sewage: 'sewage backup',
  'no-water': 'no water',
  gas: 'gas smell',
  'carbon-monoxide': 'carbon monoxide',
  'no-heat': 'no heat in freezing weather',
  'electrical-hazard': 'electrical hazard',
  fire: 'fire',
  bleeding: 'bleeding',
  swelling: 'swelling',
  'severe-pain': 'severe pain',
  'dental-trauma': 'dental injury',
  breathing: 'breathing difficulty',
  'chest-pain': 'chest pain',
  other: 'emergency',
};

/** True when this conversation has already raised an emergency of this category. */
export function alreadyRaised(env: TurnEnv, category: EmergencyCategory): boolean {
  return env.st.emergencies.includes(category);
}

export async function* raiseEmergency(env: TurnEnv, d: EmergencyDetection): Flow {
  env.st.emergencies.push(d.category);
  const summary = `Emergency (${LABEL[d.category]}): the caller said "${env.text}".`;
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
  if (!lead.fields.need) lead.fields.need = `Emergency: ${env.text}`;
  if (!lead.fields.urgency) lead.fields.urgency = 'urgent';
  if (b.emergencyNumber && isVoice(env)) {
    // The call leaves the brain here: keep what is known as a lead too.
    yield* emitLead(env);
    const handover = handoverSummary(env, `Emergency: ${LABEL[d.category]}.`);
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
  yield* startLead(env, {
    purpose: 'emergency',
    want: ['name', ...(hasAddress || addressTrade ? (['address'] as const) : []), 'phone'],
    intro: 'So they can reach you fast, I just need a couple of details.',
  });
}
