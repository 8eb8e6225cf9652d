import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AccountError, type Accounts, type Principal } from '../auth/index.js';
import { principalOf, SESSION_COOKIE, type Access } from '../http/access.js';
import { ApiError } from '../http/errors.js';
import { adminRoute, errorResponses, queryObject } from '../http/route-schemas.js';
import { ROLES, type User, type UsersRepo } from '../store/index.js';
import { timestamp } from './schemas.js';

/**
 * Signing in and out. POST /api/auth/login answers `{token}` for API clients and sets the
 * dashboard's HTTP-only cookie; both carry the same session. Sign-in is limited per client
 * address (by @fastify/rate-limit) and per email (here), so neither spraying one password over
 * many emails nor guessing one email's password from many addresses gets far.
 */

export const userSchema = z.object({
  id: z.uuid(),
  email: z.string(),
  role: z.enum(ROLES),
  businessId: z.uuid().nullable().describe('The business the user belongs to; null for an admin'),
  createdAt: timestamp,
  lastLoginAt: timestamp.nullable(),
});

export const publicUser = (u: User) => ({
  id: u.id,
  email: u.email,
  role: u.role,
  businessId: u.businessId,
  createdAt: u.createdAt,
  lastLoginAt: u.lastLoginAt,
});

const loginBody = z.strictObject({
  email: z.string().trim().min(3).max(254),
  password: z.string().min(1).max(200),
});

const meSchema = z.object({
  principal: z.enum(['api-key', 'user']),
  user: userSchema.nullable(),
  csrfToken: z.string().describe('Send as x-csrf-token on every change made with the session cookie'),
});

/** Sign-in attempts per email in a sliding minute, bounded so a flood cannot grow it without end. */
class EmailAttempts {
  private readonly seen = new Map<string, number[]>();
  constructor(
    private readonly perMinute: number,
    private readonly maxTracked = 10_000,
  ) {}

  /** Counts this attempt; false when the email had too many in the last minute. */
  allow(email: string, now = Date.now()): boolean {
    const key = email.trim().toLowerCase();
    const recent = (this.seen.get(key) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= this.perMinute) return false;
    recent.push(now);
    this.seen.delete(key);
    this.seen.set(key, recent);
    if (this.seen.size > this.maxTracked) this.seen.delete(this.seen.keys().next().value!);
    return true;
  }
}

export interface AuthApiDeps {
  access: Access;
  accounts: Accounts;
  users: UsersRepo;
  loginAttemptsPerMinute: number;
}

export async function registerAuthApi(app: FastifyInstance, deps: AuthApiDeps): Promise<void> {
  const { access } = deps;
  await app.register(rateLimit, { global: false });
  const perEmail = new EmailAttempts(deps.loginAttemptsPerMinute);
  const api = app.withTypeProvider<ZodTypeProvider>();

  const setSessionCookie = (reply: FastifyReply, token: string) =>
    reply.setCookie(SESSION_COOKIE, token, {
      path: '/',
      httpOnly: true,
      sameSite: 'strict',
      secure: access.secureCookies,
      maxAge: access.sessions.ttlSeconds,
    });

  api.post(
    '/api/auth/login',
    {
      config: { rateLimit: { max: deps.loginAttemptsPerMinute, timeWindow: 60_000 } },
      schema: {
        summary: 'Sign in: a session token for the API, and the dashboard cookie',
        tags: ['auth'],
        querystring: queryObject({}),
        body: loginBody,
        response: {
          200: z.object({
            token: z.string().describe('Send as Authorization: Bearer <token>'),
            expiresIn: z.number().int().describe('Seconds'),
            user: userSchema,
            csrfToken: z.string(),
          }),
          400: errorResponses[400],
          401: errorResponses[401],
          429: errorResponses[400].describe('Too many sign-in attempts'),
        },
      },
    },
    async (req, reply) => {
      if (!perEmail.allow(req.body.email))
        throw new ApiError(429, 'too_many_requests', 'Too many sign-in attempts; try again in a minute.');
      const user = await deps.accounts.login(req.body.email, req.body.password);
      if (!user) throw new ApiError(401, 'invalid_credentials', 'The email or password is not right.');
      const token = await access.sessions.sign({ userId: user.id, tokenVersion: user.tokenVersion });
      setSessionCookie(reply, token);
      return {
        token,
        expiresIn: access.sessions.ttlSeconds,
        user: publicUser(user),
        csrfToken: reply.generateCsrf(),
      };
    },
  );

  api.post(
    '/api/auth/logout',
    {
      schema: {
        summary: 'Sign out of this browser: the session cookie is cleared',
        tags: ['auth'],
        querystring: queryObject({}),
        body: z.strictObject({}),
        response: { 204: z.null(), 400: errorResponses[400] },
      },
    },
    async (_req, reply) => {
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  api.post(
    '/api/auth/logout-everywhere',
    {
      onRequest: access.signedIn,
      schema: adminRoute({
        summary: 'End every session of the signed-in user (all browsers and tokens)',
        tags: ['auth'],
        querystring: queryObject({}),
        body: z.strictObject({}),
        response: { 204: z.null() },
      }),
    },
    async (req, reply) => {
      const p = principalOf(req);
      if (p.kind === 'user') await deps.users.revokeSessions(p.user.id);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  api.get(
    '/api/auth/me',
    {
      onRequest: access.signedIn,
      schema: adminRoute({
        summary: 'Who is signed in, and the CSRF token for the dashboard',
        tags: ['auth'],
        querystring: queryObject({}),
        response: { 200: meSchema },
      }),
    },
    async (req, reply) => {
      const p: Principal = principalOf(req);
      return {
        principal: p.kind,
        user: p.kind === 'user' ? publicUser(p.user) : null,
        csrfToken: reply.generateCsrf(),
      };
    },
  );

  api.put(
    '/api/auth/password',
    {
      onRequest: access.signedIn,
      schema: adminRoute({
        summary: "Change the signed-in user's password; every other session ends",
        tags: ['auth'],
        querystring: queryObject({}),
        body: z.strictObject({
          currentPassword: z.string().min(1).max(200),
          newPassword: z.string().max(200),
        }),
        response: { 200: z.object({ token: z.string() }) },
      }),
    },
    async (req, reply) => {
      const p = principalOf(req);
      if (p.kind !== 'user') throw new ApiError(400, 'bad_request', 'The API key has no password.');
      try {
        const changed = await deps.accounts.changePassword(
          p.user,
          req.body.currentPassword,
          req.body.newPassword,
        );
        if (!changed) throw new ApiError(401, 'invalid_credentials', 'The current password is not right.');
      } catch (err) {
        if (err instanceof AccountError) throw new ApiError(400, 'validation_failed', err.message);
        throw err;
      }
      const user = await deps.users.get(p.user.id);
      const token = await access.sessions.sign({ userId: p.user.id, tokenVersion: user!.tokenVersion });
      setSessionCookie(reply, token);
      return { token };
    },
  );
}
