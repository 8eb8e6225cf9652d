import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Server } from 'node:http';
import type { FastifyHttpOptions } from 'fastify';
import { statusText } from './errors.js';

/**
 * The HTTP server's deadlines, chosen so a slow or idle client cannot hold a connection:
 *
 * - headersTimeout: the whole request head must arrive within it, counted from the connection
 *   (or the previous response); a client sending a byte a second is cut. Node checks it every
 *   connectionsCheckingInterval, so that is kept short (1 s) instead of Node's 30 s.
 * - requestTimeout: the head and the body together. Longer, since admin uploads (10 MB
 *   documents) need time on a slow link; a trickled body is cut at this point.
 * - keepAliveTimeout: an idle kept-alive connection is closed after it (Fastify's 72 s keeps it
 *   above common load-balancer idle timeouts, so the balancer closes first).
 * - connectionTimeout (socket inactivity) stays 0: it would also cut a slow handler's response,
 *   and the deadlines above already bound the request. A media stream is not affected by any of
 *   them: the upgrade request is complete when its head is, and ws clears the socket timeout.
 */
export interface HttpLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  bodyLimitBytes: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 72_000,
  bodyLimitBytes: 1024 * 1024,
};

export function httpServerOptions(limits: HttpLimits = DEFAULT_HTTP_LIMITS): FastifyHttpOptions<Server> {
  return {
    bodyLimit: limits.bodyLimitBytes,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionTimeout: 0,
    http: {
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    },
    // Idle sockets are closed by close(); slow ones by ConnectionGuard.closeIdleAndSlow.
    forceCloseConnections: 'idle',
    // Our own 503 in the one error shape (onRequest hook in edge.ts), not Fastify's.
    return503OnClosing: false,
    // Not guessable and not reused across restarts or nodes; never taken from the client.
    genReqId: () => randomUUID(),
    clientErrorHandler: clientError,
  };
}

/** Errors Node reports before a request exists (timeouts, bad or oversized heads). */
function clientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const status =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const [code, message] = statusText(status);
  if (socket.writable) {
    const body = JSON.stringify({ error: code, message });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
