import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireApiKey } from '../http/auth.js';
import { ApiError, validationFailed } from '../http/errors.js';
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
    .max(100)
    .transform((s, ctx) => {
      const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,3})?Z)_([0-9a-f-]{36})$/.exec(s);
      const createdAt = m ? new Date(m[1]!) : undefined;
      // The shape alone lets "2026-13-45T99:99:99Z" through: the date must be a real one.
      if (!m || !createdAt || Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== toMs(m[1]!)) {
        ctx.addIssue({ code: 'custom', message: 'not a cursor from a previous page' });
        return z.NEVER;
      }
      return { createdAt, id: m[2]! };
    })
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** "2026-01-02T03:04:05Z" -> "2026-01-02T03:04:05.000Z", as toISOString writes it. */
const toMs = (iso: string) =>
  iso.replace(/(?:\.(\d{1,3}))?Z$/, (_m, f: string | undefined) => `.${(f ?? '').padEnd(3, '0')}Z`);

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

  app.get('/api/outbox', { preHandler: auth }, async (req) => {
    const q = ListQuery.safeParse(req.query);
    if (!q.success) throw validationFailed(q.error, 'query', 'query');
    const f = q.data;
    const items = await deps.outbox.list({
      callSid: f.callSid,
      businessId: f.businessId,
      status: f.status,
      kind: f.kind,
      cause: f.cause,
      after: f.after,
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

  app.get('/api/outbox/:id', { preHandler: auth }, async (req) => {
    const { id } = req.params as { id: string };
    const item = z.string().uuid().safeParse(id).success ? await deps.outbox.get(id) : undefined;
    if (!item) throw new ApiError(404, 'not_found', 'No notification with this id.');
    return { item: shown(item) };
  });
}
