import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { assertManages, type Access } from '../http/access.js';
import { ApiError } from '../http/errors.js';
import { adminRoute, queryObject } from '../http/route-schemas.js';
import { asBusinessId } from '../ids.js';
import { BusinessesRepo, type Db } from '../store/index.js';
import { businesses } from '../store/schema/index.js';
import { idParams } from './schemas.js';

/**
 * A business's phone menu (issue 13 item 5): GET and PUT /api/business/:id/phone-menu. The menu
 * lives in the business's settings (`phoneMenu`); the voice webhook reads it on every call, so
 * a change applies from the next call. Owners of the business, admins and the API key.
 */

export interface PhoneMenuApiDeps {
  access: Access;
  db: Db;
  /**
   * The menu's schema, `phoneMenuSchema` of telephony/twilio (the voice webhook reads the same
   * one). Passed in because the admin edge may not import its peer; it validates the PUT body
   * (400 with the path of each problem) and is the body in /openapi.json.
   */
  menuSchema: z.ZodType<StoredMenu, unknown>;
}

/** A menu as stored and answered (see telephony/twilio/phone-menu.ts). */
export interface StoredMenu {
  enabled: boolean;
  prompt?: string | undefined;
  options: Array<{ digit: string; label: string; action: 'dial' | 'assistant' | 'message'; number?: string }>;
  timeoutSeconds: number;
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
        body: deps.menuSchema,
        response: { 200: phoneMenuResponse },
      }),
    },
    async (req) => {
      const id = assertManages(req, req.params.id);
      const menu = req.body as StoredMenu;
      // Under the row lock: the other settings sections are kept as they are now.
      const saved = await deps.db.transaction(async (tx) => {
        const [locked] = await tx
          .select({ id: businesses.id })
          .from(businesses)
          .where(eq(businesses.id, id))
          .for('update');
        if (!locked) return undefined;
        const repo = new BusinessesRepo(tx);
        const current = await repo.getById(asBusinessId(id));
        if (!current) return undefined;
        return repo.update(current.id, { settings: { ...current.settings, phoneMenu: menu } });
      });
      if (!saved) throw notFound();
      return { businessId: saved.id, phoneMenu: storedMenu(saved.settings) };
    },
  );

  /** The stored menu as it will be used; a stored value that no longer parses shows as none. */
  function storedMenu(settings: Record<string, unknown>): StoredMenu | null {
    const parsed = deps.menuSchema.safeParse(settings['phoneMenu']);
    return parsed.success ? parsed.data : null;
  }
}
