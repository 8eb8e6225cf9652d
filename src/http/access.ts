import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  onRequestHookHandler,
} from 'fastify';
import {
  businessScope,
  canManageBusiness,
  canSeeBusiness,
  isOperator,
  type Principal,
  type SessionTokens,
} from '../auth/index.js';
import { asBusinessId, type BusinessId } from '../ids.js';
import type { UsersRepo } from '../store/index.js';
import { secretsEqual } from './auth.js';
import { ApiError } from './errors.js';

/**
 * Who may call a route, decided in one place. A request is signed in by
 *  - `Authorization: Bearer <SWITCHBOARD_API_KEY>`: the operator, every business;
 *  - `Authorization: Bearer <session token>` from POST /api/auth/login: that user;
 *  - the dashboard's HTTP-only `sb_session` cookie: that user, and then every request that
 *    changes something must carry the CSRF token (`x-csrf-token`) the session was given.
 * Routes then check the business they touch with `assertSees` / `assertManages` / `scopeOf`.
 * A business the principal may not see answers 404 as if it did not exist.
 */

export const SESSION_COOKIE = 'sb_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** How the principal was established: CSRF applies to the cookie only. */
    authVia: 'api-key' | 'bearer' | 'cookie' | null;
  }
}

export interface AccessDeps {
  apiKey: string;
  sessions: SessionTokens;
  users: UsersRepo;
  /** Send the session cookie with `Secure` (the public URL is https). */
  secureCookies: boolean;
}

export type Hooks = onRequestHookHandler[];

export interface Access {
  /** Anyone signed in: the API key, an admin, an owner, an agent. */
  readonly signedIn: Hooks;
  /** Those who change a business: owners, admins, the API key (agents get 403). */
  readonly managers: Hooks;
  /** Those who run the server: admins and the API key. */
  readonly operators: Hooks;
  readonly sessions: SessionTokens;
  readonly secureCookies: boolean;
  /** The principal a bearer token or cookie value stands for (WebSocket upgrades use this too). */
  resolve(token: string): Promise<Principal | undefined>;
}

/** Installs cookies and CSRF on the server and returns the hooks routes use. */
export async function registerAccess(server: FastifyInstance, deps: AccessDeps): Promise<Access> {
  await server.register(cookie);
  await server.register(csrf, {
    cookieKey: 'sb_csrf',
    cookieOpts: { path: '/', sameSite: 'strict', httpOnly: true, secure: deps.secureCookies },
  });
  server.decorateRequest('principal', null);
  server.decorateRequest('authVia', null);

  const resolve = async (token: string): Promise<Principal | undefined> => {
    if (secretsEqual(token, deps.apiKey)) return { kind: 'api-key' };
    const claims = await deps.sessions.verify(token);
    if (!claims) return undefined;
    const user = await deps.users.get(claims.userId);
    // A deleted user, or a session older than a password change or sign-out everywhere.
    if (!user || user.tokenVersion !== claims.tokenVersion) return undefined;
    return { kind: 'user', user };
  };

  const authenticate: onRequestHookHandler = async (req: FastifyRequest, reply: FastifyReply) => {
    const header = req.headers.authorization;
    const bearer = header ? /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() : undefined;
    const cookieToken = req.cookies[SESSION_COOKIE];
    const token = bearer ?? cookieToken;
    const principal = token ? await resolve(token) : undefined;
    if (!principal) {
      reply.header('www-authenticate', 'Bearer');
      throw new ApiError(401, 'unauthorized', 'Sign in, or send a valid API key or session token.');
    }
    req.principal = principal;
    req.authVia = bearer ? (principal.kind === 'api-key' ? 'api-key' : 'bearer') : 'cookie';
  };

  // The cookie is sent by the browser on its own: a change must also prove it came from our page.
  function checkCsrf(req: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    if (req.authVia !== 'cookie' || SAFE_METHODS.has(req.method)) return done();
    server.csrfProtection(req, reply, done);
  }

  const role =
    (allowed: (p: Principal) => boolean, what: string): onRequestHookHandler =>
    async (req) => {
      if (!allowed(principalOf(req))) throw new ApiError(403, 'forbidden', `Only ${what} may do this.`);
    };

  const signedIn: Hooks = [authenticate, checkCsrf as onRequestHookHandler];
  return {
    signedIn,
    managers: [
      ...signedIn,
      role((p) => p.kind === 'api-key' || p.user.role !== 'agent', 'owners and admins'),
    ],
    operators: [...signedIn, role(isOperator, 'admins (or the API key)')],
    sessions: deps.sessions,
    secureCookies: deps.secureCookies,
    resolve,
  };
}

/** The principal of a request that passed one of the hooks. */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new ApiError(401, 'unauthorized', 'Sign in, or send a valid API key.');
  return req.principal;
}

const notFound = () => new ApiError(404, 'not_found', 'No business with this id.');

/** 404 unless the principal may see this business (its data answers as if it did not exist). */
export function assertSees(req: FastifyRequest, businessId: string): BusinessId {
  if (!canSeeBusiness(principalOf(req), businessId)) throw notFound();
  return asBusinessId(businessId);
}

/** 404 unless visible; 403 when visible but not the principal's to change (an agent). */
export function assertManages(req: FastifyRequest, businessId: string): BusinessId {
  const p = principalOf(req);
  if (!canSeeBusiness(p, businessId)) throw notFound();
  if (!canManageBusiness(p, businessId))
    throw new ApiError(403, 'forbidden', 'Only an owner of this business or an admin may change it.');
  return asBusinessId(businessId);
}

/**
 * The business a list is limited to: the one asked for (if visible), else the principal's own;
 * undefined for an operator who asked for none (every business).
 */
export function scopeOf(req: FastifyRequest, requested?: string): BusinessId | undefined {
  if (requested !== undefined) return assertSees(req, requested);
  const scope = businessScope(principalOf(req));
  return scope === 'all' ? undefined : scope;
}

/**
 * The one business a route works on: the one asked for (if visible), else the principal's own.
 * An operator (who sees every business) must name it with `?businessId=`: 400 otherwise.
 */
export function oneBusinessOf(req: FastifyRequest, requested?: string): BusinessId {
  const businessId = scopeOf(req, requested);
  if (businessId) return businessId;
  const message = 'Name the business (?businessId=): the API key and admins see every business.';
  throw new ApiError(400, 'validation_failed', message, [{ path: 'query.businessId', message }]);
}
