import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { secretsEqual } from '../../http/auth.js';
import { queryObject } from '../../http/route-schemas.js';
import { asBusinessId, asCallSid, type BusinessId, type CallSid } from '../../ids.js';
import type { FeedTickets } from './feed-tickets.js';

/**
 * Who may open the agents' feed and what it follows, decided before the WebSocket upgrade so a
 * refusal is an HTTP answer, never an accepted socket:
 * 1. Origin, when sent (browsers always send it), must be one of the allowed origins (403).
 * 2. The query must be valid (400).
 * 3. Credentials: `Authorization: Bearer <key>` (servers), else a ticket from
 *    POST /api/assist/tickets in `?ticket=` or as the subprotocols `bearer, <ticket>` (browsers
 *    cannot set headers); none, or a bad one: 401.
 * 4. Scope: one call (`?callSid=`, which must be a call of the credentials' business: else 404)
 *    or every call of the business.
 */

export const feedQuerySchema = queryObject({
  callSid: z.string().min(1).max(64).optional().describe('Follow this one call only'),
  businessId: z.uuid().optional().describe('The business whose calls to follow (API key only)'),
  ticket: z.string().min(1).max(4096).optional().describe('A ticket from POST /api/assist/tickets'),
});

/** What one socket follows, and how it got in. */
export interface FeedScope {
  businessId: BusinessId;
  /** Present: this one call only. */
  callSid?: CallSid;
  via: 'bearer' | 'ticket';
}

export interface FeedRefusal {
  status: 400 | 401 | 403 | 404 | 503;
  code: string;
  message: string;
}

export interface FeedAccessDeps {
  tickets: Pick<FeedTickets, 'redeem'>;
  /** Keys a server may present as a bearer (ASSIST_API_KEY, or the admin key when it is unset). */
  keys: readonly string[];
  allowedOrigins: readonly string[];
  callBusiness(callSid: CallSid): Promise<BusinessId | undefined>;
  /** The business a bearer follows when it names neither a business nor a call. */
  defaultBusinessId(): Promise<BusinessId | undefined>;
}

export type FeedAccess = { ok: true; scope: FeedScope } | { ok: false; refusal: FeedRefusal };

const refuse = (status: FeedRefusal['status'], code: string, message: string): FeedAccess => ({
  ok: false,
  refusal: { status, code, message },
});

const NO_CALL = refuse(404, 'not_found', 'No call with this CallSid for this business.');

/** An origin as the browser writes it (scheme://host[:port]), or undefined for anything else ("null"). */
function normalizedOrigin(o: string): string | undefined {
  try {
    const u = new URL(o);
    return u.origin === 'null' ? undefined : u.origin;
  } catch {
    return undefined;
  }
}

export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true; // not a browser: credentials alone decide
  const o = normalizedOrigin(origin);
  return o !== undefined && allowed.some((a) => normalizedOrigin(a) === o);
}

/** The ticket a browser put in `Sec-WebSocket-Protocol: bearer, <ticket>`. */
export function subprotocolTicket(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, ticket] = header.split(',').map((p) => p.trim());
  return scheme?.toLowerCase() === 'bearer' && ticket ? ticket : undefined;
}

const first = (h: string | string[] | undefined) => (Array.isArray(h) ? h[0] : h);

export async function checkFeedAccess(
  req: { headers: IncomingHttpHeaders; query: unknown },
  deps: FeedAccessDeps,
): Promise<FeedAccess> {
  if (!originAllowed(first(req.headers.origin), deps.allowedOrigins)) {
    return refuse(403, 'forbidden', "This origin may not open the agents' feed.");
  }

  const q = feedQuerySchema.safeParse(req.query ?? {});
  if (!q.success) {
    const issue = q.error.issues[0];
    const where = issue?.path.length ? `query.${issue.path.join('.')}: ` : '';
    return refuse(
      400,
      'validation_failed',
      `The query is not valid (${where}${issue?.message ?? 'invalid'}).`,
    );
  }
  const query = q.data;
  const callSid = query.callSid !== undefined ? asCallSid(query.callSid) : undefined;

  const authorization = first(req.headers.authorization);
  if (authorization !== undefined) {
    const bearer = /^Bearer\s+(.+)$/i.exec(authorization)?.[1]?.trim();
    const keys = deps.keys.filter((k) => k.length > 0);
    // Every key is compared, so the time taken does not tell which one nearly matched.
    let match = false;
    for (const k of keys) if (bearer && secretsEqual(bearer, k)) match = true;
    if (!match)
      return refuse(401, 'unauthorized', 'A valid assist API key is required (Authorization: Bearer <key>).');
    return bearerScope(
      query.businessId !== undefined ? asBusinessId(query.businessId) : undefined,
      callSid,
      deps,
    );
  }

  const ticket = query.ticket ?? subprotocolTicket(first(req.headers['sec-websocket-protocol']));
  if (ticket === undefined) {
    return refuse(
      401,
      'unauthorized',
      'Credentials are required: Authorization: Bearer <key>, or ?ticket= from POST /api/assist/tickets.',
    );
  }
  const r = await deps.tickets.redeem(ticket);
  if (!r.ok) {
    switch (r.reason) {
      case 'expired':
        return refuse(401, 'unauthorized', 'The ticket has expired; ask for a new one.');
      case 'used':
        return refuse(401, 'unauthorized', 'The ticket has been used; ask for a new one.');
      case 'busy':
        return refuse(503, 'unavailable', 'Too many tickets in flight; try again shortly.');
      default:
        return refuse(401, 'unauthorized', 'The ticket is not valid.');
    }
  }
  const claims = r.claims;
  if (query.businessId !== undefined && query.businessId !== claims.businessId) {
    return refuse(403, 'forbidden', 'The ticket is for another business.');
  }
  if (claims.callSid !== undefined) {
    if (callSid !== undefined && callSid !== claims.callSid) {
      return refuse(403, 'forbidden', 'The ticket is for another call.');
    }
    return { ok: true, scope: { businessId: claims.businessId, callSid: claims.callSid, via: 'ticket' } };
  }
  if (callSid !== undefined) {
    if ((await deps.callBusiness(callSid)) !== claims.businessId) return NO_CALL;
    return { ok: true, scope: { businessId: claims.businessId, callSid, via: 'ticket' } };
  }
  return { ok: true, scope: { businessId: claims.businessId, via: 'ticket' } };
}

/** A server's key opens any business: the one named, the call's, or the default one. */
async function bearerScope(
  businessId: BusinessId | undefined,
  callSid: CallSid | undefined,
  deps: FeedAccessDeps,
): Promise<FeedAccess> {
  if (callSid !== undefined) {
    const owner = await deps.callBusiness(callSid);
    if (owner === undefined || (businessId !== undefined && owner !== businessId)) return NO_CALL;
    return { ok: true, scope: { businessId: owner, callSid, via: 'bearer' } };
  }
  const business = businessId ?? (await deps.defaultBusinessId());
  if (business === undefined) {
    return refuse(404, 'not_found', 'No business to follow: give ?businessId= or ?callSid=.');
  }
  return { ok: true, scope: { businessId: business, via: 'bearer' } };
}
