import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalLabel } from '../auth/index.js';
import { oneBusinessOf, principalOf, type Access } from '../http/access.js';
import { ApiError } from '../http/errors.js';
import { adminRoute, describedOnly, queryObject } from '../http/route-schemas.js';
import { asCallSid, type BusinessId } from '../ids.js';
import type { Logger } from '../shared/index.js';
import type { EventBus, Subscription } from '../store/bus/index.js';
import { CallsRepo, isTerminalStatus, type Db } from '../store/index.js';
import type { CallEvent } from '../voice/index.js';
import {
  LiveEventMapper,
  snapshotCall,
  sseFrame,
  type LiveCallState,
  type LiveMessage,
} from './live-events.js';

export interface LiveApiDeps {
  access: Access;
  db: Db;
  bus: EventBus<CallEvent>;
  log?: Pick<Logger, 'info' | 'warn'>;
  /** Open feeds one user (or the API key) may hold; one more is refused with 429. */
  maxFeedsPerPrincipal?: number;
  /** The `: ping` comment that keeps proxies from closing a quiet feed. */
  pingMs?: number;
  /** Bytes a client may leave unread in the socket before its feed is closed. */
  maxUnreadBytes?: number;
  /** Calls without an end started longer ago than this are not in the snapshot (left open by a crash). */
  snapshotWindowMs?: number;
}

const DEFAULTS = {
  maxFeedsPerPrincipal: 20,
  pingMs: 15_000,
  maxUnreadBytes: 1024 * 1024,
  snapshotWindowMs: 4 * 3600_000,
};
/** A snapshot lists at most this many calls in progress. */
const MAX_SNAPSHOT_CALLS = 50;

const LiveQuery = queryObject({
  businessId: z.uuid().optional().describe("The business to watch; default the signed-in user's"),
});

/**
 * GET /api/live: the dashboard's live feed of one business's calls, as server-sent events. It
 * opens with a snapshot of the calls in progress (their turns so far), then streams the bus's
 * events for the business as the contract's `call`, `transcript` and `alert` messages.
 *
 * The subscription is made before the snapshot is read, and events arriving meanwhile are sent
 * after it: a turn may then appear in both (the dashboard keys words by call and offset), but
 * none falls between them. A client that stops reading is closed, not buffered for.
 */
export function registerLiveApi(app: FastifyInstance, deps: LiveApiDeps): void {
  const opts = {
    maxFeedsPerPrincipal: deps.maxFeedsPerPrincipal ?? DEFAULTS.maxFeedsPerPrincipal,
    pingMs: deps.pingMs ?? DEFAULTS.pingMs,
    maxUnreadBytes: deps.maxUnreadBytes ?? DEFAULTS.maxUnreadBytes,
    snapshotWindowMs: deps.snapshotWindowMs ?? DEFAULTS.snapshotWindowMs,
  };
  const calls = new CallsRepo(deps.db);
  const openByPrincipal = new Map<string, number>();
  const feeds = new Set<() => void>();
  const api = app.withTypeProvider<ZodTypeProvider>();

  // The feeds are endless responses: end them when the server closes, or close() would wait.
  app.addHook('preClose', async () => {
    for (const end of [...feeds]) end();
  });

  api.get(
    '/api/live',
    {
      onRequest: deps.access.signedIn,
      schema: adminRoute({
        summary: "Live feed of a business's calls (server-sent events: snapshot, call, transcript, alert)",
        tags: ['calls'],
        querystring: LiveQuery,
        response: {
          200: describedOnly({
            description:
              'text/event-stream: event snapshot, then call, transcript and alert; `: ping` every 15 s',
            type: 'string',
          }),
          429: z.looseObject({}).describe('Too many open feeds for this user'),
        },
      }),
    },
    async (req, reply) => {
      const businessId = oneBusinessOf(req, req.query.businessId);
      const who = principalLabel(principalOf(req));
      const open = openByPrincipal.get(who) ?? 0;
      if (open >= opts.maxFeedsPerPrincipal)
        throw new ApiError(
          429,
          'too_many_requests',
          `At most ${opts.maxFeedsPerPrincipal} live feeds at once.`,
        );
      openByPrincipal.set(who, open + 1);

      const mapper = new LiveEventMapper();
      const early: LiveMessage[] = [];
      let write: ((m: LiveMessage) => void) | undefined;
      let subscription: Subscription | undefined;
      let ended = false;
      let streaming = false;
      let ping: NodeJS.Timeout | undefined;
      const res = reply.raw;

      const end = () => {
        if (ended) return;
        ended = true;
        feeds.delete(end);
        clearInterval(ping);
        const left = (openByPrincipal.get(who) ?? 1) - 1;
        if (left > 0) openByPrincipal.set(who, left);
        else openByPrincipal.delete(who);
        void subscription?.unsubscribe();
        if (streaming && !res.writableEnded) res.end();
      };
      feeds.add(end);
      // The response's close, not the request's: a GET's request closes as soon as it is read.
      res.once('close', end);

      try {
        subscription = await deps.bus.subscribe({ businessId }, async (e) => {
          const m = mapper.map(e);
          if (!m) return;
          // The event does not carry the caller's number; the call's record does. The bus awaits
          // this handler before the next event, so the order holds.
          if (m.event === 'call' && m.data.kind === 'started') {
            const from = await callerOf(calls, e.callSid);
            if (from) m.data.from = from;
          }
          if (write) write(m);
          else early.push(m);
        });
        if (ended) void subscription.unsubscribe();
        const snapshot = ended ? [] : await liveCalls(calls, businessId, Date.now() - opts.snapshotWindowMs);
        // From here on the response is ours: Fastify neither sends nor serializes it.
        reply.hijack();
        streaming = true;
        if (ended) return void res.end();
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          // nginx and friends: pass each event through at once.
          'x-accel-buffering': 'no',
          'x-request-id': req.id,
        });
        const send = (chunk: string) => {
          if (ended) return;
          res.write(chunk);
          if (res.writableLength > opts.maxUnreadBytes) {
            deps.log?.warn({ businessId, feed: who }, 'live feed: the client stopped reading; closed');
            end();
            res.destroy();
          }
        };
        write = (m) => send(sseFrame(m));
        send(sseFrame({ event: 'snapshot', data: { calls: snapshot } }));
        for (const m of early.splice(0)) write(m);
        ping = setInterval(() => send(': ping\n\n'), opts.pingMs);
        ping.unref();
        deps.log?.info({ businessId, feed: who }, 'live feed opened');
      } catch (err) {
        end();
        if (streaming) {
          deps.log?.warn({ err, businessId }, 'live feed failed');
          res.destroy();
          return;
        }
        throw err;
      }
    },
  );
}

/** The caller's number as the call's record has it; undefined when unknown or unreadable now. */
async function callerOf(calls: CallsRepo, callSid: string): Promise<string | undefined> {
  try {
    return (await calls.get(asCallSid(callSid)))?.fromNumber ?? undefined;
  } catch {
    return undefined;
  }
}

/** The business's calls in progress (started within the window, no end yet), each with its turns. */
async function liveCalls(
  calls: CallsRepo,
  businessId: BusinessId,
  sinceMs: number,
): Promise<LiveCallState[]> {
  const found: LiveCallState[] = [];
  let before: string | undefined;
  // Newest first: stop at the first page that reaches past the window.
  for (;;) {
    const page = await calls.list({ businessId, limit: 100, ...(before ? { before } : {}) });
    for (const c of page.items) {
      if (c.startedAt.getTime() < sinceMs) return found;
      if (c.endedAt !== null || isTerminalStatus(c.status)) continue;
      const detail = await calls.get(c.callSid);
      if (detail) found.push(snapshotCall(detail));
      if (found.length >= MAX_SNAPSHOT_CALLS) return found;
    }
    if (!page.nextCursor) return found;
    before = page.nextCursor;
  }
}
