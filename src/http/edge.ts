import type { FastifyInstance } from 'fastify';
import type { ConnectionGuard } from './connection-limits.js';
import { registerErrorHandling, sendError } from './errors.js';
import { registerInputGuard } from './json-guard.js';
import { registerRouteSchemas } from './route-schemas.js';

/**
 * Everything at the server's edge, installed once on the root instance before any route: the
 * one error shape, the input guard (JSON depth, NUL, lengths), zod route schemas and the
 * connection guard's hooks.
 */
export function registerHttpEdge(app: FastifyInstance, connections?: ConnectionGuard): void {
  registerErrorHandling(app);
  registerInputGuard(app);
  registerRouteSchemas(app);
  if (connections) {
    connections.hooks(app);
    app.addHook('onRequest', async (_req, reply) => {
      if (!connections.isClosing) return;
      reply.header('connection', 'close');
      return sendError(reply, 503, 'shutting_down', 'The server is shutting down; try again shortly.');
    });
  }
}
