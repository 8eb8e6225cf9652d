import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.js';
import { DEBUG_REQUEST_LOG } from './request-log.js';

export interface HealthSources {
  metrics: Metrics;
  /** Active call sessions on this node. */
  activeSessions(): number;
  /** Open WebSocket connections on this node, by kind. */
  webSockets(): Record<string, number>;
  /** Each dependency's state, e.g. database and redis. */
  dependencies(): Promise<
    Record<string, { status: 'up' | 'down' | 'embedded' | 'disabled'; detail?: string }>
  >;
  startedAt: Date;
}

const MB = 1024 * 1024;

export function registerHealthRoutes(app: FastifyInstance, src: HealthSources): void {
  // Probed every few seconds by load balancers and scrapers: their request lines log at debug.
  const quiet = { config: DEBUG_REQUEST_LOG };
  app.get('/health', quiet, async (req, reply) => {
    const deps = await src.dependencies();
    const degraded = Object.values(deps).some((d) => d.status === 'down');
    const mem = process.memoryUsage();
    const ws = src.webSockets();
    const wantConnections = (req.query as { connections?: string }).connections === 'true';
    const body = {
      status: degraded ? 'degraded' : 'ok',
      uptimeSeconds: Math.round((Date.now() - src.startedAt.getTime()) / 1000),
      timestamp: new Date().toISOString(),
      memory: {
        rssMB: +(mem.rss / MB).toFixed(1),
        heapUsedMB: +(mem.heapUsed / MB).toFixed(1),
        heapTotalMB: +(mem.heapTotal / MB).toFixed(1),
      },
      sessions: { active: src.activeSessions() },
      webSocket: {
        connections: Object.values(ws).reduce((a, b) => a + b, 0),
        ...(wantConnections ? { byKind: ws } : {}),
      },
      ...deps,
    };
    return reply.code(degraded ? 503 : 200).send(body);
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
}
