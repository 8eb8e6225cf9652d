import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  businessProfileSchema,
  PLAN_LIMITS,
  PLANS,
  profileFromStored,
  profileIssues,
  profileSettingsOf,
  TRADES,
  type BusinessProfile,
  type Plan,
} from '../business/index.js';
import { canSeeBusiness, isOperator } from '../auth/index.js';
import { assertManages, principalOf, scopeOf, type Access } from '../http/access.js';
import { ApiError, type ErrorDetail } from '../http/errors.js';
import { adminRoute, queryObject } from '../http/route-schemas.js';
import { asBusinessId, type BusinessId } from '../ids.js';
import {
  notificationSettingsSchema,
  resolveNotificationSettings,
  type NotificationSettings,
} from '../notify/index.js';
import { BusinessesRepo, type Business, type Db } from '../store/index.js';
import { updateBusinessLocked } from './locked-business.js';
import { pageInMemory, pageOf, pageQuery } from './paging.js';
import { idParams, timestamp } from './schemas.js';

/**
 * The business profile and notification settings over the admin API:
 * GET /api/business, POST /api/business (operators), GET /api/business/:id, PUT /api/business/:id,
 * and the product's own GET|PUT /api/admin/business/notifications (a user's own business; the
 * default one for the API key). A user sees and changes their own business only (agents only
 * look); the plan is changed by operators (admins, the API key) only. Every change is validated
 * by the profile and notification schemas before it is stored, and the next call reads it.
 */

export interface BusinessApiDeps {
  access: Access;
  db: Db;
  /** The business /api/admin/business/notifications edits; default: the oldest (the seeded demo). */
  defaultBusinessId?: BusinessId;
  /**
   * Called after a profile change is stored (e.g. to re-index the FAQ in the knowledge base).
   * A failure does not undo the change; it comes back as a warning.
   */
  onProfileChanged?: (businessId: BusinessId, profile: BusinessProfile) => Promise<void>;
}

const SECTIONS = ['emergency', 'leads', 'bookings'] as const;
type Section = (typeof SECTIONS)[number];

const profilePatch = z
  .object({
    greeting: z.string().trim().min(1).max(1000),
    afterHoursGreeting: z.string().trim().min(1).max(1000).nullable(),
    timezone: z.string().max(64),
    hours: z.unknown(),
    services: z.array(z.unknown()).max(100),
    faq: z.array(z.unknown()).max(200),
    transferNumber: z.string().max(32).nullable(),
    agentNumber: z.string().max(32).nullable(),
    emergencyNumber: z.string().max(32).nullable(),
    leadQuestions: z.array(z.unknown()).nullable(),
  })
  .partial()
  .strict();

/** Each section given replaces the stored one; sections not given stay as they are. */
const sectionsPatch = { emergency: z.unknown(), leads: z.unknown(), bookings: z.unknown() };
const notificationsPatch = z.object(sectionsPatch).partial().strict();

/** What GET returns is accepted back: its read-only fields are ignored. */
const updateBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    trade: z.enum(TRADES),
    profile: profilePatch,
    notifications: notificationsPatch,
    id: z.unknown(),
    plan: z.enum(PLANS).describe('Changed by admins and the API key only; sent back unchanged, ignored'),
    phoneNumbers: z.unknown(),
    publicKey: z.unknown(),
    limits: z.unknown(),
    problems: z.unknown(),
    createdAt: z.unknown(),
    updatedAt: z.unknown(),
  })
  .partial()
  .strict();

/** The product's notification settings shape: its two fields, or whole sections. */
const legacyNotificationsBody = z
  .object({
    ...sectionsPatch,
    /** Gets lead and emergency emails. */
    notificationEmail: z.email().nullable(),
    /** Gets emergency texts and alert calls. */
    notificationPhoneNumber: z.string().max(32).nullable(),
    businessId: z.unknown(),
  })
  .partial()
  .strict();

const notificationsView = z
  .looseObject({ emergency: z.looseObject({}), leads: z.looseObject({}), bookings: z.looseObject({}) })
  .describe('Who is told of emergencies, leads and bookings, by SMS, call, email or Slack (URLs masked)');

const limitsSchema = z
  .object({
    chatWidget: z.enum(['basic', 'enhanced', 'full']),
    leadQuestions: z.number().nullable().describe('null: no limit'),
    voiceAgent: z.boolean(),
    realtime: z.boolean(),
    emergencyVoiceCalls: z.boolean(),
    analytics: z.enum(['none', 'basic', 'full']),
    monitoring: z.boolean(),
    brandingVisible: z.boolean(),
  })
  .describe("What the business's plan allows (its row of the plan table)");

const ianaZone = z
  .string()
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'must be an IANA time zone, e.g. America/Chicago');

const createBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  trade: z.enum(TRADES),
  timezone: ianaZone,
  plan: z.enum(PLANS).default('FREE'),
});

/** Until the owner writes their own: the business's name and the question (every trade fits it). */
const NEW_BUSINESS_GREETING = '{business}{callerName}, how can I help?';

const NotificationsQuery = queryObject({
  businessId: z
    .uuid()
    .optional()
    .describe("Default: a user's own business; for the API key and admins, the default (first) one"),
});

const businessSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  trade: z.string(),
  plan: z.string(),
  publicKey: z.string().describe("The chat widget's key (data-key on its script tag); public"),
  phoneNumbers: z.array(z.string()),
  profile: z.looseObject({
    greeting: z.string().nullable(),
    afterHoursGreeting: z.string().nullable(),
    timezone: z.string(),
  }),
  notifications: notificationsView,
  limits: limitsSchema,
  problems: z.array(z.string()).describe('Stored settings that could not be read (defaults used instead)'),
  createdAt: timestamp,
  updatedAt: timestamp,
});

const legacySchema = z.looseObject({
  businessId: z.uuid(),
  notificationEmail: z.string().nullable(),
  notificationPhoneNumber: z.string().nullable(),
  emergency: z.looseObject({}),
  leads: z.looseObject({}),
  bookings: z.looseObject({}),
});

class Invalid extends Error {
  constructor(readonly issues: ErrorDetail[]) {
    super('invalid business settings');
  }
}

type Sections = Partial<Record<Section, unknown>>;

export function registerBusinessApi(app: FastifyInstance, deps: BusinessApiDeps): void {
  const { signedIn, managers, operators } = deps.access;
  const repo = new BusinessesRepo(deps.db);
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['business'];

  api.get(
    '/api/business',
    {
      onRequest: signedIn,
      schema: adminRoute({
        summary: "Businesses, oldest first (the first is the default one); a user's own only",
        tags,
        querystring: queryObject({ ...pageQuery }),
        response: { 200: pageOf(businessSchema) },
      }),
    },
    async (req) => {
      const only = scopeOf(req);
      const visible = (await repo.list()).filter((b) => only === undefined || b.id === only);
      return pageInMemory(
        visible.map(view),
        req.query.limit,
        req.query.cursor,
        (b) => ({ at: b.createdAt, id: b.id }),
        'oldest',
      );
    },
  );

  api.post(
    '/api/business',
    {
      onRequest: operators,
      schema: adminRoute({
        summary: 'Creates a business (admins and the API key); the plan defaults to FREE',
        tags,
        querystring: queryObject({}),
        body: createBody,
        response: { 201: z.object({ business: businessSchema }) },
      }),
    },
    async (req, reply) => {
      const { name, trade, timezone, plan } = req.body;
      const b = await repo.create({ name, trade, timezone, plan, greeting: NEW_BUSINESS_GREETING });
      return reply.code(201).send({ business: view(b) });
    },
  );

  api.get(
    '/api/business/:id',
    {
      onRequest: signedIn,
      schema: adminRoute({
        summary: 'One business: profile, notification settings, plan limits',
        tags,
        params: idParams,
        querystring: queryObject({}),
        response: { 200: z.object({ business: businessSchema }) },
      }),
    },
    async (req) => {
      const b = await repo.getById(asBusinessId(req.params.id));
      // Another tenant's business answers exactly as a missing one.
      if (!b || !canSeeBusiness(principalOf(req), b.id)) throw businessNotFound();
      return { business: view(b) };
    },
  );

  api.put(
    '/api/business/:id',
    {
      onRequest: managers,
      schema: adminRoute({
        summary:
          'Changes a business: each part given replaces the stored one; the next call reads it (plan: admins only)',
        tags,
        params: idParams,
        querystring: queryObject({}),
        body: updateBody,
        response: { 200: z.object({ business: businessSchema, warnings: z.array(z.string()) }) },
      }),
    },
    async (req) => {
      const { name, trade, plan, profile, notifications } = req.body;
      assertManages(req, req.params.id);
      const mayChangePlan = isOperator(principalOf(req));
      const res = await change(req.params.id, (b) => {
        // The plan GET showed, sent back, is no change; another one is the operator's to make.
        const newPlan = plan !== undefined && plan !== b.plan ? plan : undefined;
        if (newPlan && !mayChangePlan)
          throw new ApiError(403, 'forbidden', 'Only an admin may change the plan.');
        const top = {
          ...(name ? { name } : {}),
          ...(trade ? { trade } : {}),
          ...(newPlan ? { plan: newPlan } : {}),
        };
        return {
          profile: mergedProfile(b, top, profile ?? {}),
          notifications: mergedNotifications(b, notifications ?? {}),
        };
      });
      if (res.status === 404) throw businessNotFound();
      if (res.status === 400) throw badRequest(res.issues);
      const warnings = warningsFor(res.business);
      if (profile && deps.onProfileChanged) {
        try {
          await deps.onProfileChanged(res.business.id, profileFromStored(res.business).profile);
        } catch (err) {
          req.log.warn({ err, businessId: res.business.id }, 'after-change hook failed');
          // Its message may come from the database: it stays in the log.
          warnings.push(
            'saved, but updating what depends on the profile (the FAQ search) failed; see the server log',
          );
        }
      }
      return { business: view(res.business), warnings };
    },
  );

  api.get(
    '/api/admin/business/notifications',
    {
      onRequest: signedIn,
      schema: adminRoute({
        summary:
          "A business's notification settings (the product's original shape): a user's own, else the default one",
        tags,
        querystring: NotificationsQuery,
        response: { 200: legacySchema },
      }),
    },
    async (req) => {
      const b = await notificationsBusiness(req.query.businessId, req);
      if (!b) throw noBusiness();
      return legacyView(b);
    },
  );

  api.put(
    '/api/admin/business/notifications',
    {
      onRequest: managers,
      schema: adminRoute({
        summary: "Changes a business's notification settings: a user's own, else the default one",
        tags,
        querystring: NotificationsQuery,
        body: legacyNotificationsBody,
        response: { 200: legacySchema.extend({ warnings: z.array(z.string()) }) },
      }),
    },
    async (req) => {
      const b = await notificationsBusiness(req.query.businessId, req);
      if (!b) throw noBusiness();
      assertManages(req, b.id);
      const { notificationEmail, notificationPhoneNumber, businessId: _ignored, ...sections } = req.body;
      const res = await change(b.id, (current) => {
        const merged = checkedNotifications(mergedNotifications(current, sections));
        if (notificationEmail !== undefined) {
          const email = notificationEmail === null ? [] : [notificationEmail];
          merged.leads.email = email;
          merged.emergency.email = email;
        }
        if (notificationPhoneNumber !== undefined) {
          const phone = notificationPhoneNumber === null ? [] : [notificationPhoneNumber];
          merged.emergency.sms = phone;
          merged.emergency.calls = phone;
        }
        return { profile: profileFromStored(current).profile, notifications: merged };
      });
      if (res.status === 404) throw noBusiness();
      if (res.status === 400) throw badRequest(res.issues);
      return { ...legacyView(res.business), warnings: warningsFor(res.business) };
    },
  );

  async function defaultBusiness(): Promise<Business | undefined> {
    if (deps.defaultBusinessId) return repo.getById(deps.defaultBusinessId);
    return (await repo.list())[0];
  }

  /** The one asked for (if visible), a user's own, or for an operator the default business. */
  async function notificationsBusiness(
    requested: string | undefined,
    req: FastifyRequest,
  ): Promise<Business | undefined> {
    const id = scopeOf(req, requested);
    return id === undefined ? defaultBusiness() : repo.getById(id);
  }

  /**
   * Reads, merges and writes one business under its row lock, so two edits at once cannot undo
   * each other. `compute` throws Invalid for a 400.
   */
  async function change(
    id: string,
    compute: (b: Business) => { profile: BusinessProfile; notifications: unknown },
  ): Promise<{ status: 200; business: Business } | { status: 400; issues: ErrorDetail[] } | { status: 404 }> {
    if (!z.uuid().safeParse(id).success) return { status: 404 };
    try {
      const updated = await updateBusinessLocked(deps.db, id, (current) => {
        const next = compute(current);
        const notifications = checkedNotifications(next.notifications);
        const p = next.profile;
        return {
          name: p.name,
          trade: p.trade,
          greeting: p.greeting ?? current.greeting,
          afterHoursGreeting: p.afterHoursGreeting ?? null,
          timezone: p.timezone,
          hours: p.hours,
          plan: p.plan,
          settings: { ...current.settings, profile: profileSettingsOf(p), notifications },
        };
      });
      return updated ? { status: 200, business: updated } : { status: 404 };
    } catch (err) {
      if (err instanceof Invalid) return { status: 400, issues: err.issues };
      throw err;
    }
  }
}

/** Settings that fail once merged with the stored ones: a 400 like the route schema's own. */
function badRequest(issues: ErrorDetail[]): ApiError {
  const details = issues.map((i) => ({ ...i, path: i.path ? `body.${i.path}` : 'body' }));
  const first = details[0];
  const what = first ? `${first.path}: ${first.message}` : 'invalid';
  return new ApiError(400, 'validation_failed', `The body is not valid (${what}).`, details);
}

const businessNotFound = () => new ApiError(404, 'not_found', 'No business with this id.');
const noBusiness = () => new ApiError(404, 'not_found', 'No business exists yet.');

function issueDetail(i: { path: PropertyKey[]; message: string }): ErrorDetail {
  return { path: i.path.map(String).join('.'), message: i.message };
}

/** The stored profile with the patch applied; null removes an optional part. Throws Invalid. */
function mergedProfile(
  b: Business,
  top: { name?: string; trade?: string; plan?: Plan },
  patch: z.infer<typeof profilePatch>,
): BusinessProfile {
  const merged: Record<string, unknown> = { ...profileFromStored(b).profile, ...top };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete merged[k];
    else if (v !== undefined) merged[k] = v;
  }
  const parsed = businessProfileSchema.safeParse(merged);
  if (!parsed.success)
    throw new Invalid(parsed.error.issues.map((i) => issueDetail({ ...i, path: profilePath(i.path) })));
  const issues = [...profileIssues(parsed.data), ...holidayDateIssues(parsed.data)];
  if (issues.length > 0)
    throw new Invalid(issues.map((i) => ({ path: `profile.${i.path}`, message: i.message })));
  return parsed.data;
}

/** The schema checks a holiday's date has the form YYYY-MM-DD; "2026-13-45" has it too. */
function holidayDateIssues(p: BusinessProfile): { path: string; message: string }[] {
  return p.hours.holidays.flatMap((h, i) => {
    const d = new Date(`${h.date}T00:00:00Z`);
    const real = !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === h.date;
    return real ? [] : [{ path: `hours.holidays.${i}.date`, message: `${h.date} is not a calendar date` }];
  });
}

const profilePath = (path: PropertyKey[]) =>
  path[0] === 'name' || path[0] === 'trade' ? path : ['profile', ...path];

/** Stored sections with the given ones replaced (a masked Slack URL sent back keeps the real one). */
function mergedNotifications(b: Business, patch: Sections): NotificationSettings {
  const stored = storedNotifications(b);
  const out: Record<Section, unknown> = structuredClone(stored);
  for (const s of SECTIONS) {
    const given = patch[s];
    if (given === undefined) continue;
    const real = stored[s].slackWebhookUrl;
    const isObject = given !== null && typeof given === 'object' && !Array.isArray(given);
    const url = isObject ? (given as { slackWebhookUrl?: unknown }).slackWebhookUrl : undefined;
    out[s] = real && url === maskUrl(real) ? { ...given, slackWebhookUrl: real } : given;
  }
  // Checked by checkedNotifications before it is stored.
  return out as NotificationSettings;
}

/** Normalised notification settings, or Invalid naming what is wrong. */
function checkedNotifications(n: unknown): NotificationSettings {
  const parsed = notificationSettingsSchema.safeParse(n);
  if (parsed.success) return parsed.data;
  throw new Invalid(
    parsed.error.issues.map((i) => issueDetail({ ...i, path: ['notifications', ...i.path] })),
  );
}

function storedNotifications(b: Business): NotificationSettings {
  return resolveNotificationSettings(b.settings).settings;
}

/** A Slack webhook URL is a secret: show where it goes, not the token in its path. */
function maskUrl(url: string): string {
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return '…';
  }
}

function masked(n: NotificationSettings) {
  const out = structuredClone(n);
  for (const s of SECTIONS)
    if (out[s].slackWebhookUrl) out[s].slackWebhookUrl = maskUrl(out[s].slackWebhookUrl);
  return out;
}

function warningsFor(b: Business): string[] {
  const n = storedNotifications(b);
  return !PLAN_LIMITS[b.plan].emergencyVoiceCalls && n.emergency.calls.length > 0
    ? [
        `notifications.emergency.calls: emergency voice calls need the PRO plan; the ${b.plan} plan sends SMS, email and Slack only`,
      ]
    : [];
}

function view(b: Business) {
  const { profile, problems } = profileFromStored(b);
  const notify = resolveNotificationSettings(b.settings);
  const limit = PLAN_LIMITS[b.plan];
  return {
    id: b.id,
    name: profile.name,
    trade: profile.trade,
    plan: b.plan,
    publicKey: b.publicKey,
    phoneNumbers: b.phoneNumbers,
    profile: {
      greeting: profile.greeting ?? null,
      afterHoursGreeting: profile.afterHoursGreeting ?? null,
      timezone: profile.timezone,
      hours: profile.hours,
      services: profile.services,
      faq: profile.faq,
      transferNumber: profile.transferNumber ?? null,
      agentNumber: profile.agentNumber ?? null,
      emergencyNumber: profile.emergencyNumber ?? null,
      leadQuestions: profile.leadQuestions ?? null,
    },
    notifications: masked(notify.settings),
    limits: { ...limit, leadQuestions: Number.isFinite(limit.leadQuestions) ? limit.leadQuestions : null },
    problems: [...problems, ...notify.problems],
    createdAt: b.createdAt,
    updatedAt: b.updatedAt,
  };
}

function legacyView(b: Business) {
  const n = masked(storedNotifications(b));
  return {
    businessId: b.id,
    notificationEmail: n.leads.email[0] ?? n.emergency.email[0] ?? null,
    notificationPhoneNumber: n.emergency.calls[0] ?? n.emergency.sms[0] ?? null,
    ...n,
  };
}
