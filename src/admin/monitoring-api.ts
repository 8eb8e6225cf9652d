import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { cheapestPlanWith, planAllows } from '../business/index.js';
import { oneBusinessOf, type Access } from '../http/access.js';
import { ApiError } from '../http/errors.js';
import type { NodeHealth } from '../http/health.js';
import { adminRoute, errorBodySchema, queryObject } from '../http/route-schemas.js';
import type { BusinessId } from '../ids.js';
import { BusinessesRepo, type Db } from '../store/index.js';

/**
 * Health and WebSocket monitoring for a business's owner (the plan table's "health and WebSocket
 * monitoring": PRO). What this node is doing for the business now: its live calls, and the node's
 * report as /health makes it (status, memory, Redis, sessions, WebSockets by kind, dependencies).
 * The public /health stays what load balancers probe; this is the owner's view of it, behind
 * sign-in and the plan. The list of connections stays on /health?connections=true: it is the
 * node's, not the business's.
 */
export interface MonitoringSources {
  /** What registerHealthRoutes returned. */
  node: Pick<NodeHealth, 'report'>;
  /** The business's calls live on this node, with when each started (epoch ms). */
  liveCalls(businessId: BusinessId): { callSid: string; startedAt: number }[];
}

const monitoringSchema = z.object({
  status: z
    .enum(['healthy', 'degraded', 'unhealthy', 'draining'])
    .describe(
      'degraded: Redis disconnected, heap over MAX_MEMORY_USAGE_MB or a provider down; unhealthy: database down; draining: shutting down',
    ),
  reasons: z.array(z.string()).optional().describe('Why it is not healthy, e.g. redis-disconnected'),
  uptimeSeconds: z.number().int(),
  memory: z
    .object({
      heapUsed: z.number(),
      heapTotal: z.number(),
      heapUsedPercent: z.number(),
      rss: z.number(),
      maxMemoryUsage: z.number(),
    })
    .describe('MB, and the heap used in percent of the heap'),
  redis: z.object({ connected: z.boolean(), reconnectAttempts: z.number().int(), configured: z.boolean() }),
  sessions: z.object({ activeVoiceSessions: z.number().int(), totalActiveSessions: z.number().int() }),
  calls: z.object({
    live: z.number().int().describe("The business's calls in progress on this node"),
    items: z.array(z.object({ callSid: z.string(), startedAt: z.date() })),
  }),
  webSocket: z.object({
    activeConnections: z.number().int(),
    totalMessages: z.number().int(),
    byKind: z.record(z.string(), z.number()),
  }),
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
      const report = await deps.sources.node.report();
      const live = deps.sources.liveCalls(businessId);
      return {
        status: report.status,
        ...(report.reasons ? { reasons: report.reasons } : {}),
        uptimeSeconds: report.uptimeSeconds,
        memory: report.memory,
        redis: report.redis,
        sessions: report.sessions,
        calls: {
          live: live.length,
          items: live.map((c) => ({ callSid: c.callSid, startedAt: new Date(c.startedAt) })),
        },
        webSocket: {
          activeConnections: report.webSocket.activeConnections,
          totalMessages: report.webSocket.totalMessages,
          byKind: report.webSocket.byKind,
        },
        dependencies: report.dependencies,
      };
    },
  );
}
