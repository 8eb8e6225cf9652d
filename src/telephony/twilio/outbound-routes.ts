import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { assertManages, scopeOf, type Access } from '../../http/access.js';
import { ApiError } from '../../http/errors.js';
import { adminRoute, errorBodySchema, queryObject } from '../../http/route-schemas.js';
import { asCallSid, type BusinessId } from '../../ids.js';
import type { Business, BusinessesRepo } from '../../store/index.js';
import {
  RetryLaterError,
  type OutboundCalls,
  type OutboundChannel,
  type PlacedCall,
} from './outbound-calls.js';

/**
 * POST /phone/call and /whatsapp/call place a call (OutboundCalls says what is checked);
 * POST /phone/end/:callSid ends a live call. For owners and admins of the business and the API
 * key (agents answer calls, they do not place them); the business is the signed-in owner's, or
 * the one named in the body (the API key and admins must name it when there are several).
 */
export interface OutboundRoutesDeps {
  access: Access;
  outbound: OutboundCalls;
  businesses: Pick<BusinessesRepo, 'getById' | 'list'>;
}

const businessIdField = z
  .uuid()
  .optional()
  .describe("Default: the signed-in owner's business; the API key names it when there are several");

const placedSchema = z.object({
  callSid: z.string().describe('Twilio CallSid (CA…); GET /sessions/phone-{callSid} while it lasts'),
  status: z.string().describe("Twilio's status when it took the call, usually queued"),
  to: z.string(),
  from: z.string().describe("The business's number (or the configured one) the call comes from"),
});

const refusals = {
  422: errorBodySchema.describe('destination_not_allowed, no_from_number or call_refused (by Twilio)'),
  429: errorBodySchema.describe('Too many calls for this business this minute (Retry-After)'),
  502: errorBodySchema.describe('Twilio failed or refused our credentials'),
  503: errorBodySchema.describe('telephony_not_configured, or Twilio is rate-limiting (Retry-After)'),
} as const;

export function registerOutboundCallRoutes(app: FastifyInstance, deps: OutboundRoutesDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();

  const businessFor = async (req: FastifyRequest, requested: string | undefined): Promise<Business> => {
    let id: BusinessId | undefined = scopeOf(req, requested);
    if (id === undefined) {
      // The API key sees every business: with only one there is nothing to choose.
      const all = await deps.businesses.list();
      if (all.length === 1 && all[0]) id = all[0].id;
      else {
        const message = 'Name the business (businessId): the API key and admins see every business.';
        throw new ApiError(400, 'validation_failed', message, [{ path: 'body.businessId', message }]);
      }
    }
    assertManages(req, id);
    const business = await deps.businesses.getById(id);
    if (!business) throw new ApiError(404, 'not_found', 'No business with this id.');
    return business;
  };

  const placed = (c: PlacedCall) => ({ callSid: c.callSid, status: c.status, to: c.to, from: c.from });

  const placeRoutes: { url: string; channel: OutboundChannel; summary: string; to: z.ZodString }[] = [
    {
      url: '/phone/call',
      channel: 'phone',
      summary: "Call a number from the business's number; the voice agent talks when they answer",
      to: z.string().min(1).max(40).describe('E.164, e.g. +15551234567'),
    },
    {
      url: '/whatsapp/call',
      channel: 'whatsapp',
      summary: "Call a WhatsApp user from the business's WhatsApp number; the voice agent talks",
      to: z.string().min(1).max(49).describe('whatsapp:+E164, e.g. whatsapp:+15551234567'),
    },
  ];
  for (const r of placeRoutes) {
    api.post(
      r.url,
      {
        onRequest: deps.access.managers,
        schema: adminRoute({
          summary: r.summary,
          tags: ['calls'],
          body: z.strictObject({ to: r.to, businessId: businessIdField }),
          querystring: queryObject({}),
          response: { 201: placedSchema, ...refusals },
        }),
      },
      async (req, reply) => {
        const business = await businessFor(req, req.body.businessId);
        try {
          const call = await deps.outbound.place({ business, to: req.body.to, channel: r.channel });
          return reply.code(201).send(placed(call));
        } catch (err) {
          if (err instanceof RetryLaterError) void reply.header('retry-after', String(err.retryAfterSec));
          throw err;
        }
      },
    );
  }

  api.post(
    '/phone/end/:callSid',
    {
      onRequest: deps.access.managers,
      schema: adminRoute({
        summary: 'End a live call (cancel it while it rings)',
        tags: ['calls'],
        params: z.object({ callSid: z.string().min(1).max(64) }),
        querystring: queryObject({}),
        // Nothing to say: an empty JSON object, or no body at all.
        body: z.strictObject({}).optional(),
        response: {
          200: z.object({
            callSid: z.string(),
            status: z.string().describe('completed, or canceled for a call not yet answered'),
          }),
          ...refusals,
        },
      }),
    },
    async (req, reply) => {
      // Another business's call is as unknown as a missing one.
      const scope = scopeOf(req);
      try {
        return await deps.outbound.end(asCallSid(req.params.callSid), scope);
      } catch (err) {
        if (err instanceof RetryLaterError) void reply.header('retry-after', String(err.retryAfterSec));
        throw err;
      }
    },
  );
}
