import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { canSeeBusiness, type Principal } from '../auth/index.js';
import { principalOf, type Access } from '../http/access.js';
import { ApiError } from '../http/errors.js';
import { adminRoute, queryObject } from '../http/route-schemas.js';
import type { AlertEscalations } from '../notify/index.js';
import { EmergenciesRepo, type Db } from '../store/index.js';
import { emergencySchema, withNotifications } from './receptionist-api.js';
import { idParams } from './schemas.js';

/**
 * POST /api/emergencies/:id/acknowledge: someone at the business has it in hand. Owners and
 * agents alike may acknowledge (answering emergencies is an agent's job). The first
 * acknowledgement is kept (a second one changes nothing), and the emergency's voice-alert
 * escalation stops calling people: its calls not yet placed are cancelled, as when a contact
 * presses 1.
 */

export interface EmergencyAckApiDeps {
  access: Access;
  db: Db;
  escalations: Pick<AlertEscalations, 'cancel'>;
}

/** Who acknowledged, as stored with the emergency. */
function acknowledger(p: Principal): string {
  return p.kind === 'api-key' ? 'api-key' : `dashboard:${p.user.email}`;
}

export function registerEmergencyAckApi(app: FastifyInstance, deps: EmergencyAckApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const repo = new EmergenciesRepo(deps.db);

  api.post(
    '/api/emergencies/:id/acknowledge',
    {
      onRequest: deps.access.signedIn,
      schema: adminRoute({
        summary: 'Acknowledges an emergency and stops its alert calls (owners and agents)',
        tags: ['captured'],
        params: idParams,
        querystring: queryObject({}),
        body: z
          .strictObject({})
          .optional()
          .describe('Nothing (or {}): the signed-in principal is who acknowledged'),
        response: { 200: z.object({ emergency: emergencySchema }) },
      }),
    },
    async (req) => {
      const p = principalOf(req);
      const found = await repo.get(req.params.id);
      // Another business's emergency answers exactly like a missing one.
      if (!found || !canSeeBusiness(p, found.businessId))
        throw new ApiError(404, 'not_found', 'No emergency with this id.');
      // Only an open one changes: the first acknowledgement's time and person are kept.
      await repo.acknowledge(found.businessId, found.id, acknowledger(p));
      // Also on a repeat: an escalation a failed earlier request left calling is stopped now.
      for (const escalationId of await repo.activeEscalationIds(found.id))
        await deps.escalations.cancel(escalationId);
      const emergency = (await repo.get(found.id)) ?? found;
      const [shown] = await withNotifications(repo, [emergency]);
      return { emergency: shown! };
    },
  );
}
