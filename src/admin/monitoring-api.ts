import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { cheapestPlanWith, planAllows } from '../business/index.js';
import { oneBusinessOf, type Access } from '../http/access.js';
import { ApiError } from '../http/errors.js';
import { adminRoute, errorBodySchema, queryObject } from '../http/route-schemas.js';
import type { BusinessId } from '../ids.js';
import { BusinessesRepo, type Db } from '../store/index.js';

/**
 * Health and WebSocket monitoring for a business's owner (the plan table's "health and WebSocket
 * monitoring": PRO). What this node is doing for the business now: its live calls, the node's
 * memory and dependencies, and the WebSockets open by kind. The public /health stays what load
 * balancers probe; this is the owner's view of it, behind sign-in and the plan.
 */
export interface MonitoringSources {
  /** The business's calls live on this node, with when each started (epoch ms). */
  liveCalls(businessId: BusinessId): { callSid: string; startedAt: number }[];
  /** Open WebSockets on this node, by kind (media streams, assist, agents' feeds). */
  webSockets(): Record<string, number>;
  /** Each dependency's state (database, providers). */
  dependencies(): Promise<Record<string, { status: string; detail?: string }>>;
  startedAt: Date;
}

const MB = 1024 * 1024;

const monitoringSchema = z.object({
  status: z.enum(['ok', 'degraded']).describe('degraded: a dependency is down'),
  uptimeSeconds: z.number().int(),
  memory: z.object({ heapUsedMB: z.number(), heapTotalMB: z.number(), heapUsedPercent: z.number() }),
  calls: z.object({
    live: z.number().int().describe("The business's calls in progress on this node"),
    items: z.array(z.object({ callSid: z.string(), startedAt: z.date() })),
  }),
  webSocket: z.object({ activeConnections: z.number().int(), byKind: z.record(z.string(), z.number()) }),
  dependencies: z.record(z.string(), z.looseObject({ status: z.string() })),
});

export function registerMonitoringApi(
  app: FastifyInstance,
  deps: { access: Access; db: Db; sources: MonitoringSources },
): void {
  const businesses = new BusinessesRepo(deps.db);
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/monitoring',
    {
      onRequest: deps.access.signedIn,
      schema: adminRoute({
        summary: "This node's health and WebSockets, and the business's live calls on it (PRO plan)",
        tags: ['monitoring'],
        querystring: queryObject({
          businessId: z.uuid().optional().describe("Default: the signed-in user's business"),
        }),
        response: {
          200: monitoringSchema,
          403: errorBodySchema.describe('plan_required: monitoring is a PRO feature'),
        },
      }),
    },
    async (req) => {
      const businessId = oneBusinessOf(req, req.query.businessId);
      const business = await businesses.getById(businessId);
      if (!business) throw new ApiError(404, 'not_found', 'No business with this id.');
      if (!planAllows(business.plan, 'monitoring'))
        throw new ApiError(
          403,
          'plan_required',
          `Health and WebSocket monitoring need the ${cheapestPlanWith('monitoring')} plan.`,
        );
      const dependencies = await deps.sources.dependencies();
      const mem = process.memoryUsage();
      const ws = deps.sources.webSockets();
      const live = deps.sources.liveCalls(businessId);
      return {
        status: Object.values(dependencies).some((d) => d.status === 'down') ? 'degraded' : 'ok',
        uptimeSeconds: Math.round((Date.now() - deps.sources.startedAt.getTime()) / 1000),
        memory: {
          heapUsedMB: +(mem.heapUsed / MB).toFixed(1),
          heapTotalMB: +(mem.heapTotal / MB).toFixed(1),
          heapUsedPercent: Math.round((mem.heapUsed / mem.heapTotal) * 100),
        },
        calls: {
          live: live.length,
          items: live.map((c) => ({ callSid: c.callSid, startedAt: new Date(c.startedAt) })),
        },
        webSocket: {
          activeConnections: Object.values(ws).reduce((a, b) => a + b, 0),
          byKind: ws,
        },
        dependencies,
      } as const;
    },
  );
}
