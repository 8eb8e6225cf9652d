import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { canSeeBusiness } from '../auth/index.js';
import { principalOf, scopeOf, type Access } from '../http/access.js';
import { adminRoute, queryObject } from '../http/route-schemas.js';
import { ApiError } from '../http/errors.js';
import { asCallSid } from '../ids.js';
import { InvalidCursorError, type CallsRepo } from '../store/index.js';
import { encodeCursor, pageOf, pageQuery } from './paging.js';
import { timestamp } from './schemas.js';

const ListQuery = queryObject({
  businessId: z.uuid().optional().describe("Only this business (a user's own is the only one they see)"),
  ...pageQuery,
});

const callSchema = z.looseObject({
  id: z.uuid(),
  callSid: z.string(),
  businessId: z.uuid(),
  fromNumber: z.string().nullable(),
  toNumber: z.string().nullable(),
  direction: z.string(),
  channel: z.string(),
  status: z.string(),
  startedAt: timestamp,
  answeredAt: timestamp.nullable(),
  endedAt: timestamp.nullable(),
  durationSec: z.number().int().nullable(),
  recordingPath: z.string().nullable().describe('Where the recording is on the server'),
  answeredBy: z
    .enum(['ai', 'human'])
    .describe('ai: our voice agent; human: a person at the business, with assist'),
  summary: z
    .looseObject({
      text: z.string().optional().describe('A few sentences on the call, written after it ended'),
      actionItems: z.array(z.string()).optional().describe('What someone at the business should do next'),
    })
    .nullable()
    .describe("The call's figures (turns, latency, outcome) and, once written, its summary"),
});

const callDetail = callSchema.extend({
  statusHistory: z.array(z.looseObject({})).describe("Twilio's status callbacks, in order"),
  turns: z.array(z.looseObject({})).describe('Who said what, with per-turn latency'),
  events: z.array(z.looseObject({})),
  suggestions: z
    .array(
      z.looseObject({
        id: z.uuid(),
        kind: z.string(),
        intent: z.string().nullable(),
        content: z.string(),
        confidence: z.number(),
        priority: z.enum(['high', 'medium', 'low']),
        basis: z.enum(['interim', 'final']),
        atMs: z.number().int(),
        shownAt: timestamp,
      }),
    )
    .describe('Every suggestion agent assist showed during the call, in order (the audit log)'),
});

/**
 * GET /api/calls (newest first, paged) and GET /api/calls/:callSid for anyone signed in: a user
 * sees their business's calls only; another business's call answers 404 like a missing one.
 */
export function registerCallsApi(app: FastifyInstance, deps: { access: Access; calls: CallsRepo }): void {
  const auth = deps.access.signedIn;
  const api = app.withTypeProvider<ZodTypeProvider>();

  api.get(
    '/api/calls',
    {
      onRequest: auth,
      schema: adminRoute({
        summary: 'Calls, newest first',
        tags: ['calls'],
        querystring: ListQuery,
        response: { 200: pageOf(callSchema) },
      }),
    },
    async (req) => {
      const q = req.query;
      const businessId = scopeOf(req, q.businessId);
      try {
        const page = await deps.calls.list({
          limit: q.limit,
          ...(businessId ? { businessId } : {}),
          // The repository's cursor is the same sort key (start time, id).
          ...(q.cursor ? { before: encodeCursor(q.cursor.at, q.cursor.id) } : {}),
        });
        return { items: page.items, nextCursor: page.nextCursor ?? null };
      } catch (err) {
        if (err instanceof InvalidCursorError)
          throw new ApiError(
            400,
            'validation_failed',
            'The query is not valid (query.cursor: not a cursor).',
            [{ path: 'query.cursor', message: 'not a cursor from a previous page' }],
          );
        throw err;
      }
    },
  );

  api.get(
    '/api/calls/:callSid',
    {
      onRequest: auth,
      schema: adminRoute({
        summary:
          'One call with its status history, turns, events, summary, assist suggestions and recording path',
        tags: ['calls'],
        params: z.object({ callSid: z.string().min(1).max(64) }),
        querystring: queryObject({}),
        response: { 200: z.object({ call: callDetail }) },
      }),
    },
    async (req) => {
      const call = await deps.calls.get(asCallSid(req.params.callSid));
      if (!call || !canSeeBusiness(principalOf(req), call.businessId))
        throw new ApiError(404, 'not_found', 'No call with this CallSid.');
      return { call: { ...call } };
    },
  );
}
