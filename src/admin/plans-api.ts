import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PLAN_LIMITS, PLANS, type Plan, type PlanLimits } from '../business/index.js';
import type { Access } from '../http/access.js';
import { adminRoute, queryObject } from '../http/route-schemas.js';

/**
 * The plan table for the dashboard (what each plan has), read from the one table the server
 * enforces (`PLAN_LIMITS`). JSON has no Infinity: "no limit" is null.
 */

const planLimitsSchema = z.object({
  chatWidget: z.enum(['basic', 'enhanced', 'full']),
  leadQuestions: z.number().int().nullable().describe('Lead questions per conversation; null: no limit'),
  voiceAgent: z.boolean().describe('Calls answered by the voice agent; without it a message is taken'),
  realtime: z.boolean(),
  emergencyVoiceCalls: z.boolean(),
  analytics: z.enum(['none', 'basic', 'full']),
  monitoring: z.boolean(),
  brandingVisible: z.boolean(),
});

export type PublicPlanLimits = z.infer<typeof planLimitsSchema>;

export const plansResponseSchema = z.object({
  plans: z.object(
    Object.fromEntries(PLANS.map((p) => [p, planLimitsSchema])) as Record<Plan, typeof planLimitsSchema>,
  ),
});

export function publicPlanLimits(limits: PlanLimits): PublicPlanLimits {
  return { ...limits, leadQuestions: Number.isFinite(limits.leadQuestions) ? limits.leadQuestions : null };
}

export function registerPlansApi(app: FastifyInstance, deps: { access: Access }): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/plans',
    {
      onRequest: deps.access.signedIn,
      schema: adminRoute({
        summary: 'The plans and what each has (the table the server enforces)',
        tags: ['plans'],
        querystring: queryObject({}),
        response: { 200: plansResponseSchema },
      }),
    },
    async () => ({
      plans: Object.fromEntries(PLANS.map((p) => [p, publicPlanLimits(PLAN_LIMITS[p])])) as Record<
        Plan,
        PublicPlanLimits
      >,
    }),
  );
}
