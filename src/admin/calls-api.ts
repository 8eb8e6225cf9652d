import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireApiKey } from '../http/auth.js';
import { asBusinessId, asCallSid } from '../ids.js';
import { InvalidCursorError, type CallsRepo } from '../store/index.js';

const ListQuery = z.object({
  businessId: z.string().uuid().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.string().optional(),
});

/** GET /api/calls and GET /api/calls/:callSid behind the admin API key. */
export function registerCallsApi(app: FastifyInstance, deps: { apiKey: string; calls: CallsRepo }): void {
  const auth = requireApiKey(deps.apiKey);

  app.get('/api/calls', { preHandler: auth }, async (req, reply) => {
    const q = ListQuery.safeParse(req.query);
    if (!q.success)
      return reply.code(400).send({ error: 'bad query', issues: q.error.issues.map((i) => i.message) });
    try {
      const page = await deps.calls.list({
        limit: q.data.limit,
        ...(q.data.businessId ? { businessId: asBusinessId(q.data.businessId) } : {}),
        ...(q.data.before ? { before: q.data.before } : {}),
      });
      return page;
    } catch (err) {
      if (err instanceof InvalidCursorError) return reply.code(400).send({ error: err.message });
      throw err;
    }
  });

  app.get('/api/calls/:callSid', { preHandler: auth }, async (req, reply) => {
    const { callSid } = req.params as { callSid: string };
    const call = await deps.calls.get(asCallSid(callSid));
    if (!call) return reply.code(404).send({ error: 'call not found' });
    return { call };
  });
}
