import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireApiKey } from '../http/auth.js';
import { ApiError, validationFailed } from '../http/errors.js';
import { asBusinessId, asCallSid } from '../ids.js';
import { InvalidCursorError, type CallsRepo } from '../store/index.js';

const ListQuery = z.object({
  businessId: z.string().uuid().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.string().max(200).optional(),
});

/** GET /api/calls and GET /api/calls/:callSid behind the admin API key. */
export function registerCallsApi(app: FastifyInstance, deps: { apiKey: string; calls: CallsRepo }): void {
  const auth = requireApiKey(deps.apiKey);

  app.get('/api/calls', { preHandler: auth }, async (req) => {
    const q = ListQuery.safeParse(req.query);
    if (!q.success) throw validationFailed(q.error, 'query', 'query');
    try {
      const page = await deps.calls.list({
        limit: q.data.limit,
        ...(q.data.businessId ? { businessId: asBusinessId(q.data.businessId) } : {}),
        ...(q.data.before ? { before: q.data.before } : {}),
      });
      return page;
    } catch (err) {
      if (err instanceof InvalidCursorError)
        throw new ApiError(
          400,
          'validation_failed',
          'The query is not valid (before: not a cursor from a previous page).',
          [{ path: 'query.before', message: err.message }],
        );
      throw err;
    }
  });

  app.get('/api/calls/:callSid', { preHandler: auth }, async (req) => {
    const { callSid } = req.params as { callSid: string };
    const call = callSid.length <= 64 ? await deps.calls.get(asCallSid(callSid)) : undefined;
    if (!call) throw new ApiError(404, 'not_found', 'No call with this CallSid.');
    return { call };
  });
}
