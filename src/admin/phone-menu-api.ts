import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { phoneMenuSchema, type PhoneMenu } from '../business/index.js';
import { assertManages, type Access } from '../http/access.js';
import { ApiError } from '../http/errors.js';
import { adminRoute, queryObject } from '../http/route-schemas.js';
import { BusinessesRepo, type Db } from '../store/index.js';
import { updateBusinessLocked } from './locked-business.js';
import { idParams } from './schemas.js';

/**
 * A business's phone menu (issue 13 item 5): GET and PUT /api/business/:id/phone-menu. The menu
 * lives in the business's settings (`phoneMenu`); the voice webhook reads it on every call, so
 * a change applies from the next call. Owners of the business, admins and the API key.
 */

export interface PhoneMenuApiDeps {
  access: Access;
  db: Db;
}

const phoneMenuResponse = z.object({
  businessId: z.uuid(),
  phoneMenu: z
    .object({
      enabled: z.boolean(),
      prompt: z.string().optional(),
      options: z.array(
        z.object({
          digit: z.string(),
          label: z.string(),
          action: z.enum(['dial', 'assistant', 'message']),
          number: z.string().optional().describe('E.164; for action "dial"'),
        }),
      ),
      timeoutSeconds: z.number().int(),
    })
    .nullable()
    .describe('null: no menu was ever set (calls go straight to the assistant)'),
});

const notFound = () => new ApiError(404, 'not_found', 'No business with this id.');

export function registerPhoneMenuApi(app: FastifyInstance, deps: PhoneMenuApiDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.get(
    '/api/business/:id/phone-menu',
    {
      onRequest: deps.access.managers,
      schema: adminRoute({
        summary: "A business's phone menu",
        tags: ['business'],
        params: idParams,
        querystring: queryObject({}),
        response: { 200: phoneMenuResponse },
      }),
    },
    async (req) => {
      const id = assertManages(req, req.params.id);
      const b = await new BusinessesRepo(deps.db).getById(id);
      if (!b) throw notFound();
      return { businessId: b.id, phoneMenu: storedMenu(b.settings) };
    },
  );

  r.put(
    '/api/business/:id/phone-menu',
    {
      onRequest: deps.access.managers,
      schema: adminRoute({
        summary: "Set a business's phone menu (keys 0-9: dial a number, the assistant, or a message)",
        tags: ['business'],
        params: idParams,
        querystring: queryObject({}),
        // The voice webhook reads the menu with the same schema (business/phone-menu.ts).
        body: phoneMenuSchema,
        response: { 200: phoneMenuResponse },
      }),
    },
    async (req) => {
      const id = assertManages(req, req.params.id);
      // Under the row lock: the other settings sections are kept as they are now.
      const saved = await updateBusinessLocked(deps.db, id, (current) => ({
        settings: { ...current.settings, phoneMenu: req.body },
      }));
      if (!saved) throw notFound();
      return { businessId: saved.id, phoneMenu: storedMenu(saved.settings) };
    },
  );
}

/** The stored menu as it will be used; a stored value that no longer parses shows as none. */
function storedMenu(settings: Record<string, unknown>): PhoneMenu | null {
  const parsed = phoneMenuSchema.safeParse(settings['phoneMenu']);
  return parsed.success ? parsed.data : null;
}
