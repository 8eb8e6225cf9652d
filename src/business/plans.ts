import type { Plan } from './profile.js';

/**
 * What each plan allows: the product's plan table (seed 004), in one place. Every check of a
 * plan, server-side, reads this table through `PLAN_LIMITS` or `planAllows`.
 *
 * | Feature                  | FREE    | BASIC     | PRO    |
 * | Chat widget              | basic   | enhanced  | full   |
 * | Lead capture questions   | 5 max   | unlimited | unlimited |
 * | Voice agent (+ Realtime) | no      | no        | yes    |
 * | Emergency voice calls    | no      | no        | yes    |
 * | Analytics                | none    | basic     | full   |
 * | Health, WebSocket monitoring | no  | no        | yes    |
 * | Widget branding          | visible | visible   | hidden |
 */
export interface PlanLimits {
  chatWidget: 'basic' | 'enhanced' | 'full';
  /** Lead-capture questions asked per conversation; Infinity means no limit. */
  leadQuestions: number;
  /** Calls answered by the AI voice agent; without it a call is greeted and a message taken. */
  voiceAgent: boolean;
  /** OpenAI Realtime speech-to-speech (VOICE_MODE=realtime) for this business's calls. */
  realtime: boolean;
  emergencyVoiceCalls: boolean;
  analytics: 'none' | 'basic' | 'full';
  /** Health and WebSocket monitoring in the dashboard. */
  monitoring: boolean;
  /** "Powered by Switchboard" on the chat widget. */
  brandingVisible: boolean;
}

export const PLAN_LIMITS: Record<Plan, PlanLimits> = {
  FREE: {
    chatWidget: 'basic',
    leadQuestions: 5,
    voiceAgent: false,
    realtime: false,
    emergencyVoiceCalls: false,
    analytics: 'none',
    monitoring: false,
    brandingVisible: true,
  },
  BASIC: {
    chatWidget: 'enhanced',
    leadQuestions: Infinity,
    voiceAgent: false,
    realtime: false,
    emergencyVoiceCalls: false,
    analytics: 'basic',
    monitoring: false,
    brandingVisible: true,
  },
  PRO: {
    chatWidget: 'full',
    leadQuestions: Infinity,
    voiceAgent: true,
    realtime: true,
    emergencyVoiceCalls: true,
    analytics: 'full',
    monitoring: true,
    brandingVisible: false,
  },
};

/** The on/off features, for checks that read like the table: planAllows(plan, 'voiceAgent'). */
export type PlanFeature = {
  [K in keyof PlanLimits]: PlanLimits[K] extends boolean ? K : never;
}[keyof PlanLimits];

export function planAllows(plan: Plan, feature: PlanFeature): boolean {
  return PLAN_LIMITS[plan][feature];
}

/** The cheapest plan that has a feature, for "needs the PRO plan" messages. */
export function cheapestPlanWith(feature: PlanFeature): Plan {
  return (['FREE', 'BASIC', 'PRO'] as const).find((p) => PLAN_LIMITS[p][feature]) ?? 'PRO';
}
