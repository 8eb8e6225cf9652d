import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AccountError, isOperator, type Accounts } from '../auth/index.js';
import { assertManages, principalOf, scopeOf, type Access } from '../http/access.js';
import { ApiError } from '../http/errors.js';
import { adminRoute, queryObject } from '../http/route-schemas.js';
import { asUserId } from '../ids.js';
import { ROLES, type UsersRepo } from '../store/index.js';
import { publicUser, userSchema } from './auth-api.js';
import { idParams } from './schemas.js';

/**
 * Users over the API: an owner manages the owners and agents of their business; admins (and
 * the API key) manage everyone, and only they make admins. Agents cannot manage users.
 */
export function registerUsersApi(
  app: FastifyInstance,
  deps: { access: Access; accounts: Accounts; users: UsersRepo },
): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { access } = deps;

  api.get(
    '/api/users',
    {
      onRequest: access.managers,
      schema: adminRoute({
        summary: "Users: an owner sees their business's, an admin everyone (or one business's)",
        tags: ['users'],
        querystring: queryObject({ businessId: z.uuid().optional().describe('Only this business') }),
        response: { 200: z.object({ items: z.array(userSchema) }) },
      }),
    },
    async (req) => {
      const only = scopeOf(req, req.query.businessId);
      return { items: (await deps.users.list(only)).map(publicUser) };
    },
  );

  api.post(
    '/api/users',
    {
      onRequest: access.managers,
      schema: adminRoute({
        summary: 'Add a user (owner or agent of a business; admins only by admins)',
        tags: ['users'],
        querystring: queryObject({}),
        body: z.strictObject({
          email: z.string().trim().min(3).max(254),
          password: z.string().max(200),
          role: z.enum(ROLES),
          businessId: z.uuid().optional().describe("Default: the signed-in owner's business, else the first"),
        }),
        response: { 201: z.object({ user: userSchema }), 403: z.looseObject({}), 409: z.looseObject({}) },
      }),
    },
    async (req, reply) => {
      const p = principalOf(req);
      const body = req.body;
      if (body.role === 'admin' && !isOperator(p))
        throw new ApiError(403, 'forbidden', 'Only an admin (or the API key) may add an admin.');
      let businessId = body.businessId;
      if (body.role !== 'admin') {
        if (businessId !== undefined) assertManages(req, businessId);
        else if (p.kind === 'user' && p.user.businessId) businessId = p.user.businessId;
      }
      try {
        const user = await deps.accounts.add({ ...body, businessId });
        return reply.code(201).send({ user: publicUser(user) });
      } catch (err) {
        if (err instanceof AccountError) {
          if (err.code === 'email_taken') throw new ApiError(409, 'conflict', err.message);
          if (err.code === 'no_business') throw new ApiError(404, 'not_found', err.message);
          throw new ApiError(400, 'validation_failed', err.message, [{ path: 'body', message: err.message }]);
        }
        throw err;
      }
    },
  );

  api.delete(
    '/api/users/:id',
    {
      onRequest: access.managers,
      schema: adminRoute({
        summary: 'Remove a user; their sessions end at once',
        tags: ['users'],
        querystring: queryObject({}),
        params: idParams,
        response: { 204: z.null() },
      }),
    },
    async (req, reply) => {
      const p = principalOf(req);
      const user = await deps.users.get(req.params.id);
      const visible =
        user &&
        (user.businessId ? scopeOf(req) === undefined || scopeOf(req) === user.businessId : isOperator(p));
      if (!user || !visible) throw new ApiError(404, 'not_found', 'No user with this id.');
      if (user.businessId) assertManages(req, user.businessId);
      if (p.kind === 'user' && p.user.id === user.id)
        throw new ApiError(400, 'bad_request', 'You cannot remove yourself; ask another owner or an admin.');
      await deps.users.delete(asUserId(user.id));
      return reply.code(204).send(null);
    },
  );
}
