import type { FastifyInstance } from 'fastify';
import { Gauge } from 'prom-client';
import { z } from 'zod';
import type { Logger } from '../shared/index.js';
import { MemoryMonitor, type MemorySample } from './memory-monitor.js';
import type { Metrics } from './metrics.js';
import { DEBUG_REQUEST_LOG } from './request-log.js';
import { WebSocketRegistry, type WebSocketConnectionInfo, type WebSocketKind } from './websocket-registry.js';

/**
 * This node's health (seed 004's /health), for load balancers, scrapers and the PRO monitoring
 * view. `status`:
 * - `healthy`;
 * - `degraded` (still 200: the node serves calls) when Redis is configured but not connected,
 *   when the heap is over MAX_MEMORY_USAGE_MB, or when another dependency (a provider) is down;
 * - `unhealthy` (503: route calls elsewhere) when the database is down, since no call can be
 *   recorded or claimed without it;
 * - `draining` (503) once the node is shutting down: its live calls go on, new ones are told to
 *   call back, so a load balancer must stop sending it any.
 * `redis` on the embedded default (no REDIS_URL) is `{connected: false, reconnectAttempts: 0,
 * configured: false}`, which is not a degradation. Heap figures are in MB.
 */

export type DependencyStatus = 'up' | 'down' | 'embedded' | 'disabled';
export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy' | 'draining';

export interface RedisHealth {
  connected: boolean;
  reconnectAttempts: number;
}

export interface HealthSources {
  metrics: Metrics;
  startedAt: Date;
  /** Live voice calls on this node (the live-call registry). */
  activeSessions(): number;
  /** Live sessions of every channel on every node (the live-sessions store); absent: this node's calls. */
  totalActiveSessions?(): Promise<number>;
  /** The Redis connection's state; absent, or undefined: no REDIS_URL. */
  redis?(): RedisHealth | undefined;
  /** True once a graceful shutdown has begun (no new calls are taken). */
  draining?(): boolean;
  /** Each dependency's state: database, providers. */
  dependencies(): Promise<Record<string, { status: DependencyStatus; detail?: string }>>;
  /** WEBSOCKET_PING_INTERVAL, MAX_MEMORY_USAGE_MB, ENABLE_MEMORY_MONITORING; absent: their defaults. */
  watch?: { webSocketPingIntervalMs: number; maxMemoryUsageMb: number; memoryMonitoring: boolean };
  /** For the memory and keepalive warnings; default the server's logger. */
  log?: Pick<Logger, 'info' | 'warn'>;
}

const DEFAULT_WATCH = { webSocketPingIntervalMs: 30_000, maxMemoryUsageMb: 1536, memoryMonitoring: true };

export interface HealthReport {
  status: HealthStatus;
  /** Why it is not healthy, e.g. `redis-disconnected`, `memory-over-limit`, `database-down`. */
  reasons?: string[];
  uptimeSeconds: number;
  timestamp: string;
  memory: {
    heapUsed: number;
    heapTotal: number;
    heapUsedPercent: number;
    rss: number;
    maxMemoryUsage: number;
  };
  redis: RedisHealth & { configured: boolean };
  sessions: { activeVoiceSessions: number; totalActiveSessions: number };
  webSocket: {
    activeConnections: number;
    totalMessages: number;
    byKind: Partial<Record<WebSocketKind, number>>;
    connections?: WebSocketConnectionInfo[];
  };
  dependencies: Record<string, { status: DependencyStatus; detail?: string }>;
}

/** What registerHealthRoutes hands back: the watchers it runs, and the report, for the PRO view. */
export interface NodeHealth {
  readonly webSockets: WebSocketRegistry;
  readonly memory: MemoryMonitor;
  report(opts?: { connections?: boolean }): Promise<HealthReport>;
}

export const HEALTH_HTTP_STATUS: Record<HealthStatus, number> = {
  healthy: 200,
  degraded: 200,
  unhealthy: 503,
  draining: 503,
};

const HealthQuery = z.looseObject({ connections: z.enum(['true', 'false']).optional() });

export function registerHealthRoutes(app: FastifyInstance, src: HealthSources): NodeHealth {
  const watch = src.watch ?? DEFAULT_WATCH;
  const log = src.log ?? app.log;
  const webSockets = new WebSocketRegistry({
    pingIntervalMs: watch.webSocketPingIntervalMs,
    log,
    metrics: src.metrics,
  });
  // A server without WebSockets (a test's) has none to count.
  if (app.hasDecorator('websocketServer')) webSockets.attach(app);
  const memory = new MemoryMonitor({
    maxMemoryUsageMb: watch.maxMemoryUsageMb,
    enabled: watch.memoryMonitoring,
    log,
  });
  memory.start();
  app.addHook('onClose', async () => memory.stop());

  const node: NodeHealth = {
    webSockets,
    memory,
    report: (opts = {}) => healthReport(src, webSockets, memory, opts),
  };
  registerHealthGauges(src, memory);

  // Probed every few seconds by load balancers and scrapers: their request lines log at debug.
  const quiet = { config: DEBUG_REQUEST_LOG };
  app.get('/health', quiet, async (req, reply) => {
    const q = HealthQuery.safeParse(req.query);
    const report = await node.report({ connections: q.success && q.data.connections === 'true' });
    const { dependencies, ...rest } = report;
    // Dependencies at the top level, where /health has always shown them (database, stt, tts).
    return reply.code(HEALTH_HTTP_STATUS[report.status]).send({ ...dependencies, ...rest });
  });

  app.get('/health/metrics', quiet, async () => {
    const json = await src.metrics.registry.getMetricsAsJSON();
    return Object.fromEntries(
      json
        .filter(
          (m) =>
            m.name.startsWith('switchboard_') &&
            !m.name.startsWith('switchboard_process') &&
            !m.name.startsWith('switchboard_nodejs'),
        )
        .map((m) => [
          m.name,
          m.values.length === 1 && Object.keys(m.values[0]?.labels ?? {}).length === 0
            ? m.values[0]?.value
            : m.values,
        ]),
    );
  });

  app.get('/metrics', quiet, async (_req, reply) => {
    return reply.type(src.metrics.registry.contentType).send(await src.metrics.registry.metrics());
  });
  return node;
}

async function healthReport(
  src: HealthSources,
  webSockets: WebSocketRegistry,
  memory: MemoryMonitor,
  opts: { connections?: boolean },
): Promise<HealthReport> {
  const [dependencies, total] = await Promise.all([src.dependencies(), totalSessions(src)]);
  const mem: MemorySample = memory.sample();
  const redis = src.redis?.();
  const reasons: string[] = [];
  if (dependencies['database']?.status === 'down') reasons.push('database-down');
  for (const [name, d] of Object.entries(dependencies))
    if (name !== 'database' && d.status === 'down') reasons.push(`${name}-down`);
  if (redis && !redis.connected) reasons.push('redis-disconnected');
  if (memory.overLimit()) reasons.push('memory-over-limit');
  const draining = src.draining?.() === true;
  if (draining) reasons.push('shutting-down');
  const status: HealthStatus = draining
    ? 'draining'
    : reasons.includes('database-down')
      ? 'unhealthy'
      : reasons.length > 0
        ? 'degraded'
        : 'healthy';
  return {
    status,
    ...(reasons.length > 0 ? { reasons } : {}),
    uptimeSeconds: Math.round((Date.now() - src.startedAt.getTime()) / 1000),
    timestamp: new Date().toISOString(),
    memory: {
      heapUsed: mem.heapUsedMb,
      heapTotal: mem.heapTotalMb,
      heapUsedPercent: mem.heapUsedPercent,
      rss: mem.rssMb,
      maxMemoryUsage: memory.maxMb,
    },
    redis: redis
      ? { ...redis, configured: true }
      : { connected: false, reconnectAttempts: 0, configured: false },
    sessions: { activeVoiceSessions: src.activeSessions(), totalActiveSessions: total },
    webSocket: {
      activeConnections: webSockets.activeConnections,
      totalMessages: webSockets.totalMessages,
      byKind: webSockets.byKind(),
      ...(opts.connections ? { connections: webSockets.list() } : {}),
    },
    dependencies,
  };
}

/** The deployment's sessions; a store that fails is not the node's failure: this node's count then. */
async function totalSessions(src: HealthSources): Promise<number> {
  if (!src.totalActiveSessions) return src.activeSessions();
  try {
    return await src.totalActiveSessions();
  } catch {
    return src.activeSessions();
  }
}

/** The figures /health shows that no counter carries, read at each scrape. */
function registerHealthGauges(src: HealthSources, memory: MemoryMonitor): void {
  const registers = [src.metrics.registry];
  new Gauge({
    name: 'switchboard_memory_over_limit',
    help: '1 while the heap is over MAX_MEMORY_USAGE_MB (the node reports degraded)',
    registers,
    collect() {
      memory.sample();
      this.set(memory.overLimit() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'switchboard_redis_connected',
    help: '1 while the Redis connection is up; 0 when down or not configured (REDIS_URL unset)',
    registers,
    collect() {
      this.set(src.redis?.()?.connected ? 1 : 0);
    },
  });
  new Gauge({
    name: 'switchboard_redis_reconnect_attempts',
    help: 'Attempts to reconnect to Redis since the connection was last lost',
    registers,
    collect() {
      this.set(src.redis?.()?.reconnectAttempts ?? 0);
    },
  });
  new Gauge({
    name: 'switchboard_active_sessions',
    help: 'Live sessions: voice on this node (scope=voice), every channel on every node (scope=total)',
    labelNames: ['scope'] as const,
    registers,
    async collect() {
      this.set({ scope: 'voice' }, src.activeSessions());
      this.set({ scope: 'total' }, await totalSessions(src));
    },
  });
}
