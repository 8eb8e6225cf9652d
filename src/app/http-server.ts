import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import websocket from '@fastify/websocket';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { registerClientRateLimits } from '../http/client-rate-limits.js';
import { ConnectionGuard } from '../http/connection-limits.js';
import { registerHttpEdge } from '../http/edge.js';
import type { Logger } from '../http/logger.js';
import type { Metrics } from '../http/metrics.js';
import { registerApiDocs } from '../http/openapi.js';
import { RequestLogController } from '../http/request-log.js';
import { httpServerOptions } from '../http/server-options.js';

/**
 * The HTTP server before any route: deadlines and the per-address limit for slow clients, the one
 * error shape, the input guard, route schemas and API docs, form bodies and WebSockets.
 */
export async function createHttpServer(deps: {
  config: Config;
  log: Logger;
  metrics: Metrics;
  /** Shared per-address counts across nodes (REDIS_URL); absent: this node counts alone. */
  redis?: Redis;
}): Promise<{ server: FastifyInstance; connections: ConnectionGuard }> {
  const { config, log, metrics } = deps;
  const connections = new ConnectionGuard({
    maxPerIp: config.http.maxConnectionsPerIp,
    log,
    onRefused: () => metrics.refusedConnections.inc(),
  });
  const server = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // Deadlines for slow clients, the one error shape for client errors, request ids.
    ...httpServerOptions({ ...config.http, bodyLimitBytes: 1024 * 1024 }),
    // close() must not wait on idle keep-alive or slow clients: shutdown ends with the process.
    forceCloseConnections: true,
    // TRUST_PROXY: behind a load balancer, the client's address comes from X-Forwarded-For.
    trustProxy: config.production.trustProxy,
    // Health and metrics probes log their requests at debug.
    logController: new RequestLogController(),
  });
  // Per-address connection limit at accept, then error shape and input guard before any route.
  connections.attach(server.server);
  registerHttpEdge(server, connections);
  // Before any route: the OpenAPI document is built from the routes added after it.
  await registerApiDocs(server);
  await server.register(formbody);
  await server.register(websocket, {
    options: { maxPayload: 64 * 1024 },
    // A socket's errors are the client's doing (a frame over maxPayload, a bad frame, an unclean
    // disconnect): a warning, not an error a client could fill the log with. The socket goes.
    errorHandler: (err, socket, req) => {
      req.log.warn({ err }, 'websocket error from the client; socket closed');
      socket.terminate();
    },
  });
  // Per-address request and upgrade limits: before any route, so every route is counted.
  await registerClientRateLimits(server, {
    httpRequestsPerMinute: config.production.httpRequestsPerMinutePerIp,
    wsUpgradesPerMinute: config.production.wsUpgradesPerMinutePerIp,
    ...(deps.redis ? { redis: deps.redis } : {}),
    log,
    metrics,
  });
  return { server, connections };
}
