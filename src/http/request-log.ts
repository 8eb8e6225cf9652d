import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * Fastify's per-request log lines ("incoming request", "request completed"), at info for most
 * routes and at debug for routes whose config says `requestLog: 'debug'` (health checks and
 * metrics scrapes, which a load balancer and Prometheus send every few seconds and would
 * otherwise drown the log). Errors stay at error whatever the route.
 */
export class RequestLogController extends LogController {
  override incomingRequest(
    request: FastifyRequest,
    reply: FastifyReply,
    metadata?: Record<string, unknown>,
  ): void {
    if (!atDebug(request)) return super.incomingRequest(request, reply, metadata);
    if (!this.isLogDisabled(request)) request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
    metadata?: Record<string, unknown>,
  ): void {
    if (error || !atDebug(request)) return super.requestCompleted(error, request, reply, metadata);
    if (!this.isLogDisabled(request))
      reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

/** Route config that asks for debug-level request lines. */
export const DEBUG_REQUEST_LOG = { requestLog: 'debug' } as const;

function atDebug(request: FastifyRequest): boolean {
  return (request.routeOptions.config as { requestLog?: string } | undefined)?.requestLog === 'debug';
}
