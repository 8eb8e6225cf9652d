import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { assertManages, scopeOf, type Access } from '../http/access.js';
import { ApiError } from '../http/errors.js';
import { adminRoute, queryObject } from '../http/route-schemas.js';
import type { BusinessId } from '../ids.js';
import { resolveNotificationSettings, type Notifier } from '../notify/index.js';
import { BusinessesRepo, type Business, type Db } from '../store/index.js';

export interface TestEmailApiDeps {
  access: Access;
  db: Db;
  /** Writes the email to the outbox and wakes the dispatcher after the commit. */
  notifier: Pick<Notifier, 'transaction' | 'enqueue'>;
  /** The business an operator's request without ?businessId= means; default the oldest (the demo). */
  defaultBusinessId?: BusinessId;
}

const TestEmailQuery = queryObject({
  businessId: z.uuid().optional().describe("Default: the signed-in owner's business"),
});
const TestEmailBody = z
  .strictObject({
    email: z.email().max(254).optional().describe("Default: the business's saved notification email"),
  })
  .describe('Where to send the test; an empty body sends it to the saved address');

const SUBJECT = 'Switchboard test email';

/** The address the notification settings page shows as "the" email: leads', else emergencies'. */
function savedEmail(b: Business): string | undefined {
  const n = resolveNotificationSettings(b.settings).settings;
  return n.leads.email[0] ?? n.emergency.email[0] ?? n.bookings.email[0];
}

/**
 * POST /api/admin/test-email (and its older name POST /api/admin/test-sendgrid): one email
 * through the notification outbox, to the address given or the business's saved one, delivered
 * like any notification (SMTP, SendGrid's SMTP relay, or kept local in the embedded default) so
 * an owner can see their email settings work. 202: it is queued, not yet sent; GET /api/outbox
 * shows its delivery.
 */
export function registerTestEmailApi(app: FastifyInstance, deps: TestEmailApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const businesses = new BusinessesRepo(deps.db);

  const businessFor = async (req: Parameters<typeof scopeOf>[0], requested?: string): Promise<Business> => {
    let id = scopeOf(req, requested);
    if (id === undefined) id = deps.defaultBusinessId ?? (await businesses.list())[0]?.id;
    const business = id ? await businesses.getById(id) : undefined;
    if (!business) throw new ApiError(404, 'not_found', 'No business with this id.');
    assertManages(req, business.id);
    return business;
  };

  for (const url of ['/api/admin/test-email', '/api/admin/test-sendgrid']) {
    api.post(
      url,
      {
        onRequest: deps.access.managers,
        schema: adminRoute({
          summary:
            url === '/api/admin/test-email'
              ? "Send a test email to an address or the business's saved notification email"
              : 'The same as POST /api/admin/test-email (older name)',
          tags: ['notifications'],
          querystring: TestEmailQuery,
          body: TestEmailBody,
          response: {
            202: z.object({
              outboxId: z.uuid().describe('The outbox entry: GET /api/outbox/{id} shows its delivery'),
              to: z.string(),
            }),
          },
        }),
      },
      async (req, reply) => {
        const business = await businessFor(req, req.query.businessId);
        const to = req.body.email ?? savedEmail(business);
        if (!to) {
          const message = 'No address: give one, or save a notification email for the business first.';
          throw new ApiError(400, 'validation_failed', message, [{ path: 'body.email', message }]);
        }
        const [queued] = await deps.notifier.transaction((tx) =>
          deps.notifier.enqueue(tx, [
            {
              businessId: business.id,
              kind: 'email',
              recipient: to,
              subject: SUBJECT,
              body:
                `This is a test email from Switchboard for ${business.name}.\n\n` +
                'If you can read it, email notifications (leads, emergencies, bookings) reach this address.',
              cause: 'test',
              maxAttempts: 3,
            },
          ]),
        );
        if (!queued) throw new Error('the test email was not written to the outbox');
        return reply.code(202).send({ outboxId: queued.id, to });
      },
    );
  }
}
