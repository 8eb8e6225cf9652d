import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { canSeeBusiness } from '../auth/index.js';
import { principalOf, scopeOf, type Access } from '../http/access.js';
import { ApiError } from '../http/errors.js';
import { adminRoute, queryObject } from '../http/route-schemas.js';
import type { OutboxItem, OutboxRepo } from '../notify/index.js';
import { NOTIFICATION_KINDS, OUTBOX_STATUSES } from '../store/schema/index.js';
import { page, pageOf, pageQuery } from './paging.js';
import { idParams, timestamp } from './schemas.js';

/** `?status=failed,dead` and `?status=failed&status=dead` alike. */
const listOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')))
    .pipe(z.array(z.enum(values)))
    .optional()
    .describe(`One or more of ${values.join(', ')}, comma-separated or repeated`);

const ListQuery = queryObject({
  callSid: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe("One call's notifications (and its alert escalations)"),
  businessId: z.uuid().optional().describe("Only this business (a user's own is the only one they see)"),
  status: listOf(OUTBOX_STATUSES),
  kind: listOf(NOTIFICATION_KINDS),
  cause: z.string().min(1).max(64).optional().describe('e.g. emergency, lead, booking'),
  ...pageQuery,
});

const attemptSchema = z.looseObject({ outcome: z.string(), startedAt: timestamp });
const itemSchema = z.looseObject({
  id: z.uuid(),
  businessId: z.uuid(),
  kind: z.enum(NOTIFICATION_KINDS),
  recipient: z.string().describe('A Slack webhook URL shows only its origin'),
  subject: z.string().nullable(),
  body: z.string(),
  cause: z.string(),
  callSid: z.string().nullable(),
  status: z.enum(OUTBOX_STATUSES),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  createdAt: timestamp,
  sentAt: timestamp.nullable(),
  history: z.array(attemptSchema).describe('Every delivery attempt, oldest first'),
});
const listSchema = pageOf(itemSchema).extend({
  escalations: z
    .array(z.looseObject({ id: z.uuid(), status: z.string() }))
    .optional()
    .describe("With ?callSid=: the call's alert escalations"),
});

/** A Slack webhook URL is a secret: show where it goes, not the token in its path. */
function shown<T extends OutboxItem>(item: T): T {
  if (item.kind !== 'slack') return item;
  try {
    return { ...item, recipient: `${new URL(item.recipient).origin}/…` };
  } catch {
    return { ...item, recipient: '…' };
  }
}

/**
 * GET /api/outbox (filterable by ?callSid=, ?status=, ?kind=, ?businessId=, ?cause=; paged) and
 * GET /api/outbox/:id: every notification with its delivery status and attempt history, for anyone
 * signed in (a user: their business's only). With ?callSid= the call's alert escalations come along.
 */
export function registerOutboxApi(app: FastifyInstance, deps: { access: Access; outbox: OutboxRepo }): void {
  const auth = deps.access.signedIn;
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get(
    '/api/outbox',
    {
      onRequest: auth,
      schema: adminRoute({
        summary: 'Notifications (SMS, calls, email, Slack) with their delivery history, newest first',
        tags: ['notifications'],
        querystring: ListQuery,
        response: { 200: listSchema },
      }),
    },
    async (req) => {
      const f = req.query;
      const businessId = scopeOf(req, f.businessId);
      const rows = await deps.outbox.list({
        callSid: f.callSid,
        businessId,
        status: f.status,
        kind: f.kind,
        cause: f.cause,
        after: f.cursor ? { createdAt: f.cursor.at, id: f.cursor.id } : undefined,
        limit: f.limit + 1,
      });
      const listed = page(rows.map(shown), f.limit, (r) => ({ at: r.createdAt, id: r.id }));
      return {
        ...listed,
        ...(f.callSid
          ? { escalations: await deps.outbox.escalations({ callSid: f.callSid, businessId }) }
          : {}),
      };
    },
  );

  api.get(
    '/api/outbox/:id',
    {
      onRequest: auth,
      schema: adminRoute({
        summary: 'One notification with its delivery history',
        tags: ['notifications'],
        params: idParams,
        querystring: queryObject({}),
        response: { 200: z.object({ item: itemSchema }) },
      }),
    },
    async (req) => {
      const item = await deps.outbox.get(req.params.id);
      if (!item || !canSeeBusiness(principalOf(req), item.businessId))
        throw new ApiError(404, 'not_found', 'No notification with this id.');
      return { item: shown(item) };
    },
  );
}
