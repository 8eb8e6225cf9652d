import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from '../shared/index.js';
import { MemoryRateCounter, RedisRateCounter, type RateCounter } from '../store/rate/index.js';
import { ApiError, sendError } from './errors.js';
import type { Metrics } from './metrics.js';

/**
 * Per client address, per minute: HTTP requests (HTTP_REQUESTS_PER_MINUTE_PER_IP, through
 * @fastify/rate-limit on every route) and WebSocket upgrades (WS_UPGRADES_PER_MINUTE_PER_IP,
 * refused with 429 before the upgrade). Both answer in the one error shape with Retry-After.
 *
 * - Probes are never limited (/health, /health/metrics, /metrics): a load balancer must not read a
 *   429 as a dead node. Upgrades count against their own limit, not the HTTP one.
 * - Nor is Twilio: its webhooks and streams come from a handful of Twilio addresses at a rate that
 *   grows with calls (MAX_CONCURRENT_CALLS bounds that). A request to a Twilio route that carries a
 *   signature is let through here; a forged one costs one HMAC at the route's check and gets 403.
 * - A route with its own `config.rateLimit` (sign-in, room joins) keeps its own limit and its
 *   `too_many_requests` code; this registration then enforces it too (the plugin's second
 *   registration with `global: false` only adds its own copy of that limit).
 * - With a Redis client every node counts together; when Redis fails a request is let through
 *   (`skipOnError`; the upgrade counter falls back to this node), never refused for the outage.
 *
 * Register on the root before any route: the plugin sees routes as they are added.
 */

export interface ClientRateLimitOptions {
  /** HTTP_REQUESTS_PER_MINUTE_PER_IP; 0: no limit. */
  httpRequestsPerMinute: number;
  /** WS_UPGRADES_PER_MINUTE_PER_IP; 0: no limit. */
  wsUpgradesPerMinute: number;
  /** Shared counts across nodes; absent: each node counts alone. */
  redis?: Redis;
  log: Pick<Logger, 'warn'>;
  metrics?: Pick<Metrics, 'rateLimited'>;
  /** The upgrade counter; default memory, or Redis when `redis` is given. */
  upgradeCounter?: RateCounter;
}

export const UNLIMITED_PATHS: ReadonlySet<string> = new Set(['/health', '/health/metrics', '/metrics']);
/** The routes Twilio calls, each of which checks X-Twilio-Signature (webhooks, media and assist streams). */
const TWILIO_ROUTES = /^\/(twilio\/|ws\/twilio\/|process-voice$|whatsapp\/(voice|message)$|assist\/stream$)/;
const MINUTE_MS = 60_000;

const routePath = (req: FastifyRequest) => req.routeOptions.url ?? req.url.split('?')[0] ?? '';
/** Claims to be Twilio on a route that checks it (the check itself is the route's). */
const signedByTwilio = (req: FastifyRequest) =>
  typeof req.headers['x-twilio-signature'] === 'string' && TWILIO_ROUTES.test(routePath(req));
const retryAfterSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export async function registerClientRateLimits(
  app: FastifyInstance,
  opts: ClientRateLimitOptions,
): Promise<void> {
  const http = opts.httpRequestsPerMinute;
  // Registered even with no HTTP limit (max 0 would refuse all): routes' own limits need the plugin.
  await app.register(rateLimit, {
    global: http > 0,
    max: http > 0 ? http : 1,
    timeWindow: MINUTE_MS,
    ...(opts.redis ? { redis: opts.redis, nameSpace: 'sb:http-rate:' } : {}),
    skipOnError: true,
    allowList: (req) => req.ws || UNLIMITED_PATHS.has(routePath(req)) || signedByTwilio(req),
    onExceeded: (req) =>
      opts.metrics?.rateLimited.inc({ scope: req.routeOptions.config.rateLimit ? 'route' : 'http' }),
    errorResponseBuilder: (req, ctx) => {
      const secs = retryAfterSeconds(ctx.ttl);
      // A route's own limit keeps the code its clients know; the per-address one says what it is.
      return req.routeOptions.config.rateLimit
        ? new ApiError(429, 'too_many_requests', `Too many requests; try again in ${secs} s.`)
        : new ApiError(
            429,
            'rate_limited',
            `Too many requests from this address (at most ${ctx.max} a minute); try again in ${secs} s.`,
          );
    },
  });

  const upgrades = opts.wsUpgradesPerMinute;
  if (upgrades <= 0) return;
  const counter =
    opts.upgradeCounter ??
    (opts.redis
      ? new RedisRateCounter({ redis: opts.redis, prefix: 'sb:ws-upgrades:', log: opts.log })
      : new MemoryRateCounter());
  app.addHook('onRequest', async (req, reply) => {
    if (!req.ws || signedByTwilio(req)) return;
    const d = await counter.hit(req.ip, upgrades, MINUTE_MS);
    if (d.allowed) return;
    opts.metrics?.rateLimited.inc({ scope: 'ws-upgrade' });
    const secs = retryAfterSeconds(d.retryAfterMs);
    void reply.header('retry-after', String(secs));
    return sendError(
      reply,
      429,
      'rate_limited',
      `Too many WebSocket connections opened from this address (at most ${upgrades} a minute); try again in ${secs} s.`,
    );
  });
}
