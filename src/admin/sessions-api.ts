import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { canSeeBusiness } from '../auth/index.js';
import { principalOf, scopeOf, type Access } from '../http/access.js';
import { ApiError } from '../http/errors.js';
import { adminRoute, queryObject } from '../http/route-schemas.js';
import { asCallSid, type BusinessId } from '../ids.js';
import { CALL_CHANNELS, type CallChannel, type LiveSession, type SessionsRepo } from '../store/index.js';

/**
 * GET /sessions: the live sessions (calls on the phone and WhatsApp, browser calls, chats) with
 * counts by type; GET /sessions/:id one of them by its id `<type>-<CallSid>` (e.g.
 * `phone-CA…`), 404 once it has ended. Anyone signed in, limited to the businesses they see.
 * Read from the calls table, so a session on any node shows here; the deployment's live-sessions
 * store (Redis with several nodes) adds which node serves it, its last activity and its turns.
 */
export interface SessionsApiDeps {
  access: Access;
  sessions: SessionsRepo;
  /** The live-sessions store; a session it does not (yet) hold is answered without those fields. */
  live?: {
    list(businessId?: BusinessId): Promise<LiveState[]>;
    get(id: string): Promise<LiveState | undefined>;
  };
}

interface LiveState {
  id: string;
  nodeId: string;
  lastActivityAt: string;
  turns: number;
}

const sessionSchema = z.object({
  id: z.string().describe('<type>-<CallSid>, e.g. phone-CA…'),
  type: z.enum(CALL_CHANNELS),
  callSid: z.string(),
  status: z.string().describe("The call's current status (queued, ringing, in-progress, …)"),
  direction: z.string().describe('inbound, or outbound-api for a call we placed'),
  startedAt: z.date(),
  businessId: z.uuid(),
  answeredBy: z.string().describe('ai, or human (agent assist)'),
  node: z.string().optional().describe('The node serving it (voice calls, from the live-sessions store)'),
  lastActivityAt: z.string().optional().describe('Its last turn (ISO 8601)'),
  turns: z.number().int().optional().describe('Caller and agent turns so far'),
});

const byTypeSchema = z.object(
  Object.fromEntries(CALL_CHANNELS.map((c) => [c, z.number().int()])) as Record<CallChannel, z.ZodNumber>,
);

const toSession = (s: LiveSession, live?: LiveState) => ({
  id: `${s.channel}-${s.callSid}`,
  type: s.channel,
  callSid: s.callSid,
  status: s.status,
  direction: s.direction,
  startedAt: s.startedAt,
  businessId: s.businessId,
  answeredBy: s.answeredBy,
  ...(live ? { node: live.nodeId, lastActivityAt: live.lastActivityAt, turns: live.turns } : {}),
});

const ID_RE = new RegExp(`^(${CALL_CHANNELS.join('|')})-(.+)$`);
/** A session id's form: the type, then a call id (Twilio's 34 characters, or our own of that form). */
const SESSION_ID = new RegExp(`^(${CALL_CHANNELS.join('|')})-[A-Za-z0-9]{1,64}$`);
const notFound = () => new ApiError(404, 'not_found', 'No live session with this id.');

export function registerSessionsApi(app: FastifyInstance, deps: SessionsApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get(
    '/sessions',
    {
      onRequest: deps.access.signedIn,
      schema: adminRoute({
        summary: 'Live sessions (phone, WhatsApp, web and chat) with counts by type',
        tags: ['calls'],
        querystring: queryObject({
          businessId: z
            .uuid()
            .optional()
            .describe("Default: the signed-in user's business (the API key: all)"),
        }),
        response: {
          200: z.object({
            sessions: z.array(sessionSchema).describe('Oldest first'),
            byType: byTypeSchema,
            total: z.number().int(),
          }),
        },
      }),
    },
    async (req) => {
      const scope = scopeOf(req, req.query.businessId);
      const [live, states] = await Promise.all([
        deps.sessions.list(scope),
        deps.live ? deps.live.list(scope) : Promise.resolve([]),
      ]);
      const stateOf = new Map(states.map((st) => [st.id, st]));
      const byType = Object.fromEntries(CALL_CHANNELS.map((c) => [c, 0])) as Record<CallChannel, number>;
      for (const s of live) byType[s.channel]++;
      return {
        sessions: live.map((s) => toSession(s, stateOf.get(`${s.channel}-${s.callSid}`))),
        byType,
        total: live.length,
      };
    },
  );

  api.get(
    '/sessions/:id',
    {
      onRequest: deps.access.signedIn,
      schema: adminRoute({
        summary: 'One live session by its id (<type>-<CallSid>); 404 once it has ended',
        tags: ['calls'],
        params: z.object({
          id: z
            .string()
            .regex(
              SESSION_ID,
              'must be <type>-<id>, e.g. phone-CA0123…, with a type of phone, whatsapp, web or chat',
            ),
        }),
        querystring: queryObject({}),
        response: { 200: sessionSchema },
      }),
    },
    async (req) => {
      const m = ID_RE.exec(req.params.id);
      if (!m) throw notFound();
      const session = await deps.sessions.find(asCallSid(m[2]!));
      // Another type's id for the call, or another business's call: as unknown as a missing one.
      if (!session || session.channel !== m[1] || !canSeeBusiness(principalOf(req), session.businessId))
        throw notFound();
      return toSession(session, await deps.live?.get(req.params.id));
    },
  );
}
