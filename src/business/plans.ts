import type { Plan } from './profile.js';

/** What each plan allows (from the product's plan table). */
export interface PlanLimits {
  /** Lead-capture questions asked per conversation; Infinity means no limit. */
  leadQuestions: number;
  emergencyVoiceCalls: boolean;
}

export const PLAN_LIMITS: Record<Plan, PlanLimits> = {
  FREE: { leadQuestions: 5, emergencyVoiceCalls: false },
  BASIC: { leadQuestions: Infinity, emergencyVoiceCalls: false },
  PRO: { leadQuestions: Infinity, emergencyVoiceCalls: true },
};
