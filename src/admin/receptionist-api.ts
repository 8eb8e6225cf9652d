import { and, desc, eq, type AnyColumn, type SQL } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { canSeeBusiness } from '../auth/index.js';
import { principalOf, scopeOf, type Access } from '../http/access.js';
import { ApiError } from '../http/errors.js';
import { adminRoute, queryObject } from '../http/route-schemas.js';
import { asBusinessId, type BusinessId } from '../ids.js';
import { EmergenciesRepo, LeadsRepo, type Db } from '../store/index.js';
import {
  BOOKING_STATUSES,
  bookings,
  EMERGENCY_STATUSES,
  emergencies,
  LEAD_STATUSES,
  leads,
  NOTIFICATION_KINDS,
  OUTBOX_STATUSES,
  QUESTION_STATUSES,
  questionsForOwner,
} from '../store/schema/index.js';
import { olderThan, page, pageOf, pageQuery, type Cursor } from './paging.js';
import { idParams, timestamp } from './schemas.js';

/**
 * What the receptionist captured, for the owner's dashboard: GET /api/leads (and PATCH
 * /api/leads/:id to move a lead through new/contacted/won/lost), GET /api/emergencies (each with
 * the notifications it caused), GET /api/bookings, GET /api/questions. Each is newest first (by
 * when it was recorded), filterable by ?callSid= and ?businessId=, and paged (?limit=, default 50,
 * at most 200, and ?cursor=). A user sees their own business's records only; the API key and
 * admins see every business's unless they name one. Agents may read them and move a lead along
 * (calling leads back is their work).
 */

export interface ReceptionistApiDeps {
  access: Access;
  db: Db;
}

/** `?businessId=` on the lists; a shared definition so the CSV export filters the same way. */
export const businessFilter = z
  .uuid()
  .optional()
  .describe("One business's records (default: the user's own; for the API key and admins, every business)");

const common = {
  callSid: z.string().min(1).max(64).optional().describe("One call's records"),
  businessId: businessFilter,
  ...pageQuery,
};
const leadsQuery = queryObject({ ...common, status: z.enum(LEAD_STATUSES).optional() });
const emergenciesQuery = queryObject({ ...common, status: z.enum(EMERGENCY_STATUSES).optional() });
const questionsQuery = queryObject({ ...common, status: z.enum(QUESTION_STATUSES).optional() });
const bookingsQuery = queryObject({ ...common, status: z.enum(BOOKING_STATUSES).optional() });
const leadPatch = z.object({ status: z.enum(LEAD_STATUSES) }).strict();

const transcript = z
  .array(
    z.object({
      speaker: z.string().describe('caller or agent'),
      text: z.string(),
      at: z.string().optional(),
      interrupted: z.boolean().optional(),
    }),
  )
  .describe('The conversation up to this point');
const record = {
  id: z.uuid(),
  businessId: z.uuid(),
  callSid: z.string().nullable(),
  createdAt: timestamp,
};
const leadSchema = z.looseObject({
  ...record,
  name: z.string().nullable(),
  phone: z.string().nullable(),
  address: z.string().nullable(),
  need: z.string().nullable(),
  complete: z.boolean(),
  status: z.enum(LEAD_STATUSES),
  transcript,
});
/** One notification an emergency caused and how its delivery went. */
export const emergencyNotificationSchema = z.object({
  id: z.uuid(),
  channel: z.enum(NOTIFICATION_KINDS),
  to: z
    .string()
    .describe(
      "The owner's own contact as stored (a phone number, an email); a Slack webhook shows its origin only",
    ),
  status: z.enum(OUTBOX_STATUSES),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  createdAt: timestamp,
  sentAt: timestamp.nullable().describe('When the provider accepted it'),
  deliveredAt: timestamp
    .nullable()
    .describe('When the provider reported it delivered; not tracked yet, so always null'),
});

export const emergencySchema = z.looseObject({
  ...record,
  category: z.string(),
  trigger: z.string(),
  summary: z.string(),
  status: z.enum(EMERGENCY_STATUSES),
  transcript,
  acknowledgedAt: timestamp.nullable(),
  acknowledgedBy: z
    .string()
    .nullable()
    .describe('"dashboard:<email>", "api-key", or the phone of the contact who pressed 1'),
  notifications: z
    .array(emergencyNotificationSchema)
    .describe('Every notification the emergency caused (SMS, email, Slack, alert calls), oldest first'),
});
const questionSchema = z.looseObject({
  ...record,
  question: z.string(),
  status: z.enum(QUESTION_STATUSES),
  answer: z.string().nullable(),
});
const bookingSchema = z.looseObject({
  ...record,
  serviceId: z.string(),
  startsAt: timestamp,
  endsAt: timestamp,
  status: z.enum(BOOKING_STATUSES),
  customerName: z.string().nullable(),
  customerPhone: z.string().nullable(),
});

type ListQuery = { callSid?: string; status?: string; limit: number; cursor?: Cursor };

type EmergencyRow = NonNullable<Awaited<ReturnType<EmergenciesRepo['get']>>>;
type NotificationRow = NonNullable<
  Awaited<ReturnType<EmergenciesRepo['notificationsOf']>> extends Map<string, infer T> ? T : never
>[number];

/** A Slack webhook URL is a secret (its path is the token): show where it goes only. */
function shownRecipient(n: Pick<NotificationRow, 'kind' | 'recipient'>): string {
  if (n.kind !== 'slack') return n.recipient;
  try {
    return `${new URL(n.recipient).origin}/…`;
  } catch {
    return '…';
  }
}

/** Emergencies as the API shows them: each with the notifications it caused. */
export async function withNotifications<E extends Pick<EmergencyRow, 'id'>>(
  repo: EmergenciesRepo,
  rows: readonly E[],
): Promise<Array<E & { notifications: z.infer<typeof emergencyNotificationSchema>[] }>> {
  const byId = await repo.notificationsOf(rows.map((r) => r.id));
  return rows.map((r) => ({
    ...r,
    notifications: (byId.get(r.id) ?? []).map((n) => ({
      id: n.id,
      channel: n.kind,
      to: shownRecipient(n),
      status: n.status,
      attempts: n.attempts,
      lastError: n.lastError,
      createdAt: n.createdAt,
      sentAt: n.sentAt,
      deliveredAt: null,
    })),
  }));
}

/** The columns a listed table shares. */
interface Listed {
  id: AnyColumn;
  businessId: AnyColumn;
  callSid: AnyColumn;
  status: AnyColumn;
  createdAt: AnyColumn;
}

export function registerReceptionistApi(app: FastifyInstance, deps: ReceptionistApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const leadsRepo = new LeadsRepo(deps.db);
  const emergenciesRepo = new EmergenciesRepo(deps.db);

  /** Newest first by (created_at, id) with the query's filters, one page, within `scope`. */
  function where(t: Listed, q: ListQuery, scope: BusinessId | undefined): SQL | undefined {
    const conds: SQL[] = [];
    if (scope) conds.push(eq(t.businessId, scope));
    if (q.callSid) conds.push(eq(t.callSid, q.callSid));
    if (q.status) conds.push(eq(t.status, q.status));
    const after = olderThan(t.createdAt, t.id, q.cursor);
    if (after) conds.push(after);
    return conds.length ? and(...conds) : undefined;
  }
  const pageFrom = <T extends { createdAt: Date; id: string; businessId: string }>(
    rows: T[],
    limit: number,
  ) =>
    page(
      rows.map((r) => ({ ...r, businessId: asBusinessId(r.businessId) })),
      limit,
      (r) => ({ at: r.createdAt, id: r.id }),
    );

  const list = { onRequest: deps.access.signedIn };
  const tags = ['captured'];

  api.get(
    '/api/leads',
    {
      ...list,
      schema: adminRoute({
        summary: 'Leads (name, callback number, need, address), newest first',
        tags,
        querystring: leadsQuery,
        response: { 200: pageOf(leadSchema) },
      }),
    },
    async (req) => {
      const q = req.query;
      const rows = await deps.db
        .select()
        .from(leads)
        .where(where(leads, q, scopeOf(req, q.businessId)))
        .orderBy(desc(leads.createdAt), desc(leads.id))
        .limit(q.limit + 1);
      return pageFrom(rows, q.limit);
    },
  );

  api.patch(
    '/api/leads/:id',
    {
      onRequest: deps.access.signedIn,
      schema: adminRoute({
        summary: 'Moves a lead through new, contacted, won, lost',
        tags,
        params: idParams,
        querystring: queryObject({
          businessId: z.uuid().optional().describe('The business the lead must belong to'),
        }),
        body: leadPatch,
        response: { 200: z.object({ id: z.uuid(), status: z.enum(LEAD_STATUSES) }) },
      }),
    },
    async (req) => {
      const { id } = req.params;
      const lead = await leadsRepo.get(id);
      // Another business's lead answers exactly like a missing one.
      const visible =
        lead &&
        canSeeBusiness(principalOf(req), lead.businessId) &&
        (req.query.businessId === undefined || req.query.businessId === lead.businessId);
      if (!lead || !visible || !(await leadsRepo.setStatus(lead.businessId, id, req.body.status)))
        throw new ApiError(404, 'not_found', 'No lead with this id.');
      return { id, status: req.body.status };
    },
  );

  api.get(
    '/api/emergencies',
    {
      ...list,
      schema: adminRoute({
        summary: 'Emergencies the receptionist raised, newest first',
        tags,
        querystring: emergenciesQuery,
        response: { 200: pageOf(emergencySchema) },
      }),
    },
    async (req) => {
      const q = req.query;
      const rows = await deps.db
        .select()
        .from(emergencies)
        .where(where(emergencies, q, scopeOf(req, q.businessId)))
        .orderBy(desc(emergencies.createdAt), desc(emergencies.id))
        .limit(q.limit + 1);
      const one = pageFrom(rows, q.limit);
      return { ...one, items: await withNotifications(emergenciesRepo, one.items) };
    },
  );

  api.get(
    '/api/questions',
    {
      ...list,
      schema: adminRoute({
        summary: 'Questions the receptionist could not answer, for the owner; newest first',
        tags,
        querystring: questionsQuery,
        response: { 200: pageOf(questionSchema) },
      }),
    },
    async (req) => {
      const q = req.query;
      const rows = await deps.db
        .select()
        .from(questionsForOwner)
        .where(where(questionsForOwner, q, scopeOf(req, q.businessId)))
        .orderBy(desc(questionsForOwner.createdAt), desc(questionsForOwner.id))
        .limit(q.limit + 1);
      return pageFrom(rows, q.limit);
    },
  );

  api.get(
    '/api/bookings',
    {
      ...list,
      schema: adminRoute({
        // By when they were made: by appointment time, new bookings would hide in a busy calendar.
        summary: 'Bookings, newest made first',
        tags,
        querystring: bookingsQuery,
        response: { 200: pageOf(bookingSchema) },
      }),
    },
    async (req) => {
      const q = req.query;
      const rows = await deps.db
        .select()
        .from(bookings)
        .where(where(bookings, q, scopeOf(req, q.businessId)))
        .orderBy(desc(bookings.createdAt), desc(bookings.id))
        .limit(q.limit + 1);
      return pageFrom(rows, q.limit);
    },
  );
}
