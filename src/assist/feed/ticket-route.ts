import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { canSeeBusiness } from '../../auth/index.js';
import { assertSees, principalOf, scopeOf, type Access } from '../../http/access.js';
import { ApiError } from '../../http/errors.js';
import { adminRoute, queryObject } from '../../http/route-schemas.js';
import { asCallSid, type BusinessId, type CallSid } from '../../ids.js';
import { ASSIST_FEED_PATH } from './feed-route.js';
import type { FeedTickets } from './feed-tickets.js';

export const TICKETS_PATH = '/api/assist/tickets';

const TicketRequest = z
  .strictObject({
    businessId: z
      .uuid()
      .optional()
      .describe(
        "The business whose calls the ticket opens (default: a user's own; for the API key and admins, the default one)",
      ),
    callSid: z.string().min(1).max(64).optional().describe('Open this one call only'),
  })
  .meta({ id: 'AssistTicketRequest' });

const TicketResponse = z
  .object({
    ticket: z.string().describe('Single use; opens the feed once, before expiresAt'),
    expiresAt: z.iso.datetime(),
    url: z.string().describe('The feed path with the ticket, for new WebSocket(origin + url)'),
  })
  .meta({ id: 'AssistTicket' });

export interface TicketRouteDeps {
  tickets: Pick<FeedTickets, 'issue'>;
  /** Who may ask for a ticket: anyone signed in, for a business they may see. */
  access: Pick<Access, 'signedIn'>;
  callBusiness(callSid: CallSid): Promise<BusinessId | undefined>;
  defaultBusinessId(): Promise<BusinessId | undefined>;
}

/** POST /api/assist/tickets: a short-lived, single-use ticket a browser opens the agents' feed with. */
export function registerAssistTickets(app: FastifyInstance, deps: TicketRouteDeps): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    TICKETS_PATH,
    {
      onRequest: deps.access.signedIn,
      schema: adminRoute({
        summary: "A ticket to open the agents' assist feed (WebSocket /assist/agent) from a browser",
        tags: ['assist'],
        querystring: queryObject({}),
        body: TicketRequest,
        response: { 201: TicketResponse },
      }),
    },
    async (req, reply) => {
      const callSid = req.body.callSid !== undefined ? asCallSid(req.body.callSid) : undefined;
      // A business the principal may not see answers 404, as one that does not exist.
      let businessId = req.body.businessId !== undefined ? assertSees(req, req.body.businessId) : undefined;
      if (callSid !== undefined) {
        const owner = await deps.callBusiness(callSid);
        const mismatch = businessId !== undefined && owner !== businessId;
        if (owner === undefined || mismatch || !canSeeBusiness(principalOf(req), owner)) {
          throw new ApiError(404, 'not_found', 'No call with this CallSid for this business.');
        }
        businessId = owner;
      }
      businessId ??= scopeOf(req) ?? (await deps.defaultBusinessId());
      if (businessId === undefined) {
        throw new ApiError(404, 'not_found', 'No business to follow: give businessId or callSid.');
      }
      const { ticket, expiresAt } = await deps.tickets.issue({
        businessId,
        ...(callSid !== undefined ? { callSid } : {}),
      });
      const url = `${ASSIST_FEED_PATH}?ticket=${encodeURIComponent(ticket)}`;
      return reply.code(201).send({ ticket, expiresAt: expiresAt.toISOString(), url });
    },
  );
}
