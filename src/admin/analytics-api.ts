import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PLAN_LIMITS } from '../business/index.js';
import { oneBusinessOf, type Access } from '../http/access.js';
import { ApiError } from '../http/errors.js';
import { adminRoute, errorBodySchema, queryObject } from '../http/route-schemas.js';
import type { BusinessId } from '../ids.js';
import { BusinessesRepo, type Db } from '../store/index.js';

const day = z.string().describe('YYYY-MM-DD in the business’s timezone');
const count = z.number().int().nonnegative();

const INTENTS = ['emergency', 'lead', 'booking', 'question', 'transfer'] as const;

const figuresSchema = z.object({
  from: day,
  to: day,
  callsPerDay: z.array(z.object({ date: day, total: count, answered: count, missed: count })),
  durations: z.object({ count, avgSec: z.number(), p50Sec: z.number(), p90Sec: z.number() }),
  leads: z.object({
    total: count,
    complete: count,
    won: count,
    conversion: z.number().min(0).max(1).describe('Complete leads per answered call'),
  }),
  emergencies: z.object({
    total: count,
    acknowledged: count,
    perDay: z.array(z.object({ date: day, count })),
  }),
  intents: z
    .array(z.object({ intent: z.enum(INTENTS), count }))
    .describe('Calls in which the agent filed each kind of outcome (a call may count for several)'),
  latency: z
    .object({ turns: count, p50Ms: z.number(), p95Ms: z.number(), p99Ms: z.number() })
    .describe("Voice to voice: the caller's end of speech to the answer's first audio, per agent turn"),
});

/** What the analytics store answers (src/store/analytics-repo.ts AnalyticsRepo). */
export type AnalyticsFigures = z.infer<typeof figuresSchema>;
export interface AnalyticsSource {
  figures(q: { businessId: BusinessId; timezone: string; days: number }): Promise<AnalyticsFigures>;
}

const reportSchema = figuresSchema.extend({
  level: z.enum(['basic', 'full']),
  plan: z.string(),
  intents: figuresSchema.shape.intents.nullable().describe('PRO only (null on BASIC)'),
  latency: figuresSchema.shape.latency.nullable().describe('PRO only (null on BASIC)'),
});

const AnalyticsQuery = queryObject({
  businessId: z.uuid().optional().describe("Default: the signed-in user's business"),
  days: z.coerce.number().int().min(1).max(365).default(30).describe('Today and the days before it'),
});

/**
 * GET /api/analytics: a business's figures over its last `days` local days, as the plan allows
 * (PLAN_LIMITS[plan].analytics): none on FREE (403 plan_required), basic on BASIC (no intents,
 * no latency), full on PRO.
 */
export function registerAnalyticsApi(
  app: FastifyInstance,
  deps: { access: Access; db: Db; analytics: AnalyticsSource },
): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const businesses = new BusinessesRepo(deps.db);

  api.get(
    '/api/analytics',
    {
      onRequest: deps.access.signedIn,
      schema: adminRoute({
        summary: 'Calls, durations, leads, emergencies, intents and latency per day (BASIC and PRO plans)',
        tags: ['analytics'],
        querystring: AnalyticsQuery,
        response: {
          200: reportSchema,
          403: errorBodySchema.describe('plan_required: the FREE plan has no analytics'),
        },
      }),
    },
    async (req) => {
      const businessId = oneBusinessOf(req, req.query.businessId);
      const business = await businesses.getById(businessId);
      if (!business) throw new ApiError(404, 'not_found', 'No business with this id.');
      const level = PLAN_LIMITS[business.plan].analytics;
      if (level === 'none') throw new ApiError(403, 'plan_required', 'Analytics need the BASIC or PRO plan.');
      const f = await deps.analytics.figures({
        businessId,
        timezone: business.timezone,
        days: req.query.days,
      });
      return {
        ...f,
        level,
        plan: business.plan,
        intents: level === 'full' ? f.intents : null,
        latency: level === 'full' ? f.latency : null,
      };
    },
  );
}
