import { and, desc, eq, type SQL } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireApiKey } from '../http/auth.js';
import { ApiError, validationFailed } from '../http/errors.js';
import { asBusinessId, type BusinessId } from '../ids.js';
import {
  BusinessesRepo,
  EmergenciesRepo,
  LeadsRepo,
  QuestionsRepo,
  type Booking,
  type Db,
} from '../store/index.js';
import { bookings, LEAD_STATUSES, QUESTION_STATUSES } from '../store/schema/index.js';

/**
 * What the receptionist captured, for the owner's dashboard (bearer API key): GET /api/leads
 * (and PATCH /api/leads/:id to move a lead through new/contacted/won/lost), GET /api/emergencies,
 * GET /api/bookings, GET /api/questions. Each is newest first, filterable by ?callSid= and
 * ?businessId=, and limited (?limit=, default 50, at most 200). Without ?businessId= every
 * business's records are listed.
 */

export interface ReceptionistApiDeps {
  apiKey: string;
  db: Db;
}

const common = {
  callSid: z.string().min(1).max(64).optional(),
  businessId: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
};
const leadsQuery = z.object({ ...common, status: z.enum(LEAD_STATUSES).optional() });
const questionsQuery = z.object({ ...common, status: z.enum(QUESTION_STATUSES).optional() });
const plainQuery = z.object(common);
const leadPatch = z.object({ status: z.enum(LEAD_STATUSES) }).strict();

type Query = z.infer<typeof plainQuery>;

export function registerReceptionistApi(app: FastifyInstance, deps: ReceptionistApiDeps): void {
  const auth = requireApiKey(deps.apiKey);
  const leads = new LeadsRepo(deps.db);
  const emergencies = new EmergenciesRepo(deps.db);
  const questions = new QuestionsRepo(deps.db);
  const businesses = new BusinessesRepo(deps.db);

  /** The businesses a query covers: the one named, or all of them. */
  const scope = async (q: Query): Promise<BusinessId[]> =>
    q.businessId ? [asBusinessId(q.businessId)] : (await businesses.list()).map((b) => b.id);

  /** Per-business lists (each newest first) merged into one, newest first, cut to the limit. */
  async function across<T extends { createdAt: Date; id: string }>(
    q: Query,
    one: (businessId: BusinessId) => Promise<T[]>,
  ): Promise<{ items: T[] }> {
    const lists = await Promise.all((await scope(q)).map(one));
    const items = lists
      .flat()
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
      .slice(0, q.limit);
    return { items };
  }

  app.get('/api/leads', { preHandler: auth }, async (req) => {
    const q = leadsQuery.safeParse(req.query);
    if (!q.success) return badQuery(q.error);
    const { callSid, status, limit } = q.data;
    return across(q.data, (id) =>
      leads.list(id, { limit, ...(callSid ? { callSid } : {}), ...(status ? { status } : {}) }),
    );
  });

  app.patch('/api/leads/:id', { preHandler: auth }, async (req) => {
    const { id } = req.params as { id: string };
    const body = leadPatch.safeParse(req.body ?? {});
    if (!body.success) throw validationFailed(body.error, 'lead update', 'body');
    const q = z.object({ businessId: z.uuid().optional() }).safeParse(req.query);
    if (!q.success) return badQuery(q.error);
    if (!z.uuid().safeParse(id).success) throw leadNotFound();
    for (const businessId of await scope({ ...q.data, limit: 1 })) {
      if (await leads.setStatus(businessId, id, body.data.status)) return { id, status: body.data.status };
    }
    throw leadNotFound();
  });

  app.get('/api/emergencies', { preHandler: auth }, async (req) => {
    const q = plainQuery.safeParse(req.query);
    if (!q.success) return badQuery(q.error);
    const { callSid, limit } = q.data;
    return across(q.data, (id) => emergencies.list(id, { limit, ...(callSid ? { callSid } : {}) }));
  });

  app.get('/api/questions', { preHandler: auth }, async (req) => {
    const q = questionsQuery.safeParse(req.query);
    if (!q.success) return badQuery(q.error);
    const { callSid, status, limit } = q.data;
    return across(q.data, (id) =>
      questions.list(id, { limit, ...(callSid ? { callSid } : {}), ...(status ? { status } : {}) }),
    );
  });

  app.get('/api/bookings', { preHandler: auth }, async (req) => {
    const q = plainQuery.safeParse(req.query);
    if (!q.success) return badQuery(q.error);
    return { items: await newestBookings(deps.db, q.data) };
  });
}

/**
 * Bookings by when they were made, newest first. BookingsRepo.list orders by appointment time and
 * cuts the earliest ones, which would hide new bookings from a busy calendar.
 */
async function newestBookings(db: Db, q: Query): Promise<Booking[]> {
  const where: SQL[] = [];
  if (q.businessId) where.push(eq(bookings.businessId, q.businessId));
  if (q.callSid) where.push(eq(bookings.callSid, q.callSid));
  const rows = await db
    .select()
    .from(bookings)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(bookings.createdAt), desc(bookings.id))
    .limit(q.limit);
  return rows.map((r) => ({ ...r, businessId: asBusinessId(r.businessId) }));
}

function badQuery(error: z.ZodError): never {
  throw validationFailed(error, 'query', 'query');
}

const leadNotFound = () => new ApiError(404, 'not_found', 'No lead with this id.');
