import { and, desc, eq, type AnyColumn, type SQL } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireApiKey } from '../http/auth.js';
import { ApiError } from '../http/errors.js';
import { adminRoute, queryObject } from '../http/route-schemas.js';
import { asBusinessId, type BusinessId } from '../ids.js';
import { BusinessesRepo, LeadsRepo, type Db } from '../store/index.js';
import {
  BOOKING_STATUSES,
  bookings,
  EMERGENCY_STATUSES,
  emergencies,
  LEAD_STATUSES,
  leads,
  QUESTION_STATUSES,
  questionsForOwner,
} from '../store/schema/index.js';
import { olderThan, page, pageOf, pageQuery, type Cursor } from './paging.js';
import { idParams, timestamp } from './schemas.js';

/**
 * What the receptionist captured, for the owner's dashboard (bearer API key): GET /api/leads
 * (and PATCH /api/leads/:id to move a lead through new/contacted/won/lost), GET /api/emergencies,
 * GET /api/bookings, GET /api/questions. Each is newest first (by when it was recorded),
 * filterable by ?callSid= and ?businessId=, and paged (?limit=, default 50, at most 200, and
 * ?cursor=). Without ?businessId= every business's records are listed.
 */

export interface ReceptionistApiDeps {
  apiKey: string;
  db: Db;
}

const common = {
  callSid: z.string().min(1).max(64).optional().describe("One call's records"),
  businessId: z.uuid().optional().describe("One business's records (default: every business)"),
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
const emergencySchema = z.looseObject({
  ...record,
  category: z.string(),
  trigger: z.string(),
  summary: z.string(),
  status: z.enum(EMERGENCY_STATUSES),
  transcript,
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

type ListQuery = { callSid?: string; businessId?: string; status?: string; limit: number; cursor?: Cursor };

/** The columns a listed table shares. */
interface Listed {
  id: AnyColumn;
  businessId: AnyColumn;
  callSid: AnyColumn;
  status: AnyColumn;
  createdAt: AnyColumn;
}

export function registerReceptionistApi(app: FastifyInstance, deps: ReceptionistApiDeps): void {
  const auth = requireApiKey(deps.apiKey);
  const api = app.withTypeProvider<ZodTypeProvider>();
  const leadsRepo = new LeadsRepo(deps.db);
  const businesses = new BusinessesRepo(deps.db);

  /** Newest first by (created_at, id) with the query's filters, one page. */
  function where(t: Listed, q: ListQuery): SQL | undefined {
    const conds: SQL[] = [];
    if (q.businessId) conds.push(eq(t.businessId, q.businessId));
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

  const list = { onRequest: auth };
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
        .where(where(leads, q))
        .orderBy(desc(leads.createdAt), desc(leads.id))
        .limit(q.limit + 1);
      return pageFrom(rows, q.limit);
    },
  );

  api.patch(
    '/api/leads/:id',
    {
      onRequest: auth,
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
      const owners: BusinessId[] = req.query.businessId
        ? [asBusinessId(req.query.businessId)]
        : (await businesses.list()).map((b) => b.id);
      for (const businessId of owners) {
        if (await leadsRepo.setStatus(businessId, id, req.body.status))
          return { id, status: req.body.status };
      }
      throw new ApiError(404, 'not_found', 'No lead with this id.');
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
        .where(where(emergencies, q))
        .orderBy(desc(emergencies.createdAt), desc(emergencies.id))
        .limit(q.limit + 1);
      return pageFrom(rows, q.limit);
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
        .where(where(questionsForOwner, q))
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
        .where(where(bookings, q))
        .orderBy(desc(bookings.createdAt), desc(bookings.id))
        .limit(q.limit + 1);
      return pageFrom(rows, q.limit);
    },
  );
}
