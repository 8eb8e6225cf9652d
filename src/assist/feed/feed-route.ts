import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from '../../http/errors.js';
import type { Metrics } from '../../http/metrics.js';
import type { BusinessId, CallSid } from '../../ids.js';
import type { Clock, Logger } from '../../shared/index.js';
import type { EventBus } from '../../store/bus/index.js';
import type { AssistEvent } from '../events.js';
import { checkFeedAccess, type FeedScope } from './feed-credentials.js';
import {
  FeedConnection,
  type FeedConnectionOptions,
  type FeedSocket,
  type LiveCall,
} from './feed-connection.js';
import type { FeedTickets } from './feed-tickets.js';

export const ASSIST_FEED_PATH = '/assist/agent';

export interface AssistFeedDeps {
  bus: EventBus<AssistEvent>;
  tickets: Pick<FeedTickets, 'redeem'>;
  /** Bearer keys for servers: ASSIST_API_KEY, or the admin API key when it is unset. */
  keys: readonly string[];
  allowedOrigins: readonly string[];
  /** The business a call belongs to (undefined: no such call). */
  callBusiness(callSid: CallSid): Promise<BusinessId | undefined>;
  /** The business a bearer follows when it names neither a business nor a call. */
  defaultBusinessId(): Promise<BusinessId | undefined>;
  /** Calls being assisted now, announced with call-started when an agent connects. */
  liveCalls?(businessId: BusinessId): Promise<readonly LiveCall[]>;
  log: Logger;
  metrics: Pick<Metrics, 'wsConnections' | 'assistFeedMessages'>;
  clock?: Clock;
  options?: Partial<FeedConnectionOptions>;
}

/**
 * GET /assist/agent (WebSocket): the agents' feed. Everything about who may connect is decided
 * in preValidation, before the upgrade, so a refusal is an HTTP answer in the API's error shape
 * (Origin 403, no or bad credentials 401, a call of another business 404) and never a socket.
 */
export function registerAssistFeed(app: FastifyInstance, deps: AssistFeedDeps): void {
  const scopes = new WeakMap<FastifyRequest, FeedScope>();

  const checkUpgrade = async (req: FastifyRequest, reply: FastifyReply) => {
    const access = await checkFeedAccess({ headers: req.headers, query: req.query }, deps);
    if (access.ok) {
      scopes.set(req, access.scope);
      return;
    }
    const { status, code, message } = access.refusal;
    deps.log.info({ status, code }, 'assist feed upgrade refused');
    if (status === 401) reply.header('www-authenticate', 'Bearer');
    await sendError(reply, status, code, message);
  };

  app.get(
    ASSIST_FEED_PATH,
    { websocket: true, preValidation: checkUpgrade, schema: { hide: true } },
    async (socket, req) => {
      const scope = scopes.get(req);
      if (!scope) {
        // preValidation always sets it; a socket without a scope is never served.
        socket.close(1011, 'no scope');
        return;
      }
      const kind = { kind: 'assist-agent' };
      deps.metrics.wsConnections.inc(kind);
      socket.once('close', () => deps.metrics.wsConnections.dec(kind));
      const conn = new FeedConnection(socket as unknown as FeedSocket, scope, {
        bus: deps.bus,
        ...(deps.liveCalls ? { liveCalls: deps.liveCalls } : {}),
        log: deps.log,
        onSend: (type, outcome) => deps.metrics.assistFeedMessages.inc({ type, outcome }),
        ...(deps.clock ? { clock: deps.clock } : {}),
        ...(deps.options ? { options: deps.options } : {}),
      });
      deps.log.info({ via: scope.via, scope: scope.callSid ? 'call' : 'business' }, 'assist feed connected');
      try {
        await conn.start();
      } catch (err) {
        // Never thrown by design; a bug here must not take the server down.
        deps.log.error({ err: String(err) }, 'assist feed failed to start');
        socket.close(1011, 'internal error');
      }
    },
  );
}
