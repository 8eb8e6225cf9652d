import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireApiKey } from '../http/auth.js';
import type { OutboxItem, OutboxRepo } from '../notify/outbox-repo.js';
import { NOTIFICATION_KINDS, OUTBOX_STATUSES } from '../store/schema/outbox.js';

/** `?status=failed,dead` and `?status=failed&status=dead` alike. */
const listOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.preprocess(
    (v) => (v === undefined ? undefined : (Array.isArray(v) ? v : [v]).flatMap((s) => String(s).split(','))),
    z.array(z.enum(values)).optional(),
  );

const ListQuery = z.object({
  callSid: z.string().min(1).max(64).optional(),
  businessId: z.string().uuid().optional(),
  status: listOf(OUTBOX_STATUSES),
  kind: listOf(NOTIFICATION_KINDS),
  cause: z.string().min(1).max(64).optional(),
  /** The previous page's `next` cursor. */
  after: z
    .string()
    .regex(/^\d{4}-\d\d-\d\dT[\d:.]+Z_[0-9a-f-]{36}$/, 'not a cursor from a previous page')
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** A Slack webhook URL is a secret: show where it goes, not the token in its path. */
function shown(item: OutboxItem & { history: unknown[] }) {
  if (item.kind !== 'slack') return item;
  try {
    return { ...item, recipient: `${new URL(item.recipient).origin}/…` };
  } catch {
    return { ...item, recipient: '…' };
  }
}

/**
 * GET /api/outbox (filterable by ?callSid=, ?status=, ?kind=, ?businessId=, ?cause=) and
 * GET /api/outbox/:id: every notification with its delivery status and attempt history, behind the
 * admin API key. With ?callSid= the call's alert escalations come along.
 */
export function registerOutboxApi(app: FastifyInstance, deps: { apiKey: string; outbox: OutboxRepo }): void {
  const auth = requireApiKey(deps.apiKey);

  app.get('/api/outbox', { preHandler: auth }, async (req, reply) => {
    const q = ListQuery.safeParse(req.query);
    if (!q.success) {
      return reply
        .code(400)
        .send({ error: 'bad query', issues: q.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
    }
    const f = q.data;
    const items = await deps.outbox.list({
      callSid: f.callSid,
      businessId: f.businessId,
      status: f.status,
      kind: f.kind,
      cause: f.cause,
      after: f.after ? { createdAt: new Date(f.after.slice(0, -37)), id: f.after.slice(-36) } : undefined,
      limit: f.limit,
    });
    const last = items.at(-1);
    return {
      items: items.map(shown),
      next: items.length === f.limit && last ? `${last.createdAt.toISOString()}_${last.id}` : null,
      ...(f.callSid
        ? { escalations: await deps.outbox.escalations({ callSid: f.callSid, businessId: f.businessId }) }
        : {}),
    };
  });

  app.get('/api/outbox/:id', { preHandler: auth }, async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!z.string().uuid().safeParse(id).success)
      return reply.code(404).send({ error: 'notification not found' });
    const item = await deps.outbox.get(id);
    if (!item) return reply.code(404).send({ error: 'notification not found' });
    return { item: shown(item) };
  });
}
