import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Conversations } from '../../conversations/index.js';
import { assertManages, oneBusinessOf, type Access } from '../../http/access.js';
import { ApiError } from '../../http/errors.js';
import { adminRoute, errorBodySchema, queryObject } from '../../http/route-schemas.js';
import type { Notifier } from '../../notify/index.js';
import type { RateCounter } from '../../store/rate/index.js';
import { OutboundRateLimit, retryAfterSeconds } from './outbound-rate-limit.js';
import { WHATSAPP_ADDRESS, WHATSAPP_MAX_BODY, whatsappAddress } from './whatsapp-address.js';
import type { WhatsAppInbox } from './whatsapp-inbox.js';

/**
 * POST /whatsapp/send: the business writes to a WhatsApp contact. Free text only inside the
 * 24-hour customer service window (PROTOCOLS.md 4.3: since the contact last wrote); outside it
 * Twilio would refuse it with 63016, so it is refused here first (422 whatsapp_window_closed) and
 * an approved template (ContentSid + variables) must be sent instead, which is allowed at any
 * time. The message goes through the outbox (kind 'whatsapp'): 202 with the row's id, delivery
 * shown by GET /api/outbox/{id}.
 */

export const WHATSAPP_SEND_PATH = '/whatsapp/send';
export const WHATSAPP_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface WhatsAppSendDeps {
  access: Access;
  conversations: Pick<Conversations, 'lastInboundAt'>;
  /** Writes the row and wakes the dispatcher after the commit. */
  notifier: Pick<Notifier, 'transaction' | 'enqueue'>;
  /** Where the contact last wrote to: the business answers from that address. */
  inbox: Pick<WhatsAppInbox, 'lastAddressOf'>;
  /**
   * The configured WhatsApp sender (whatsapp:+E164), for a contact who never wrote (a template);
   * unset: the channel's own default.
   */
  from?: string | undefined;
  /** OUTBOUND_MESSAGES_PER_MINUTE, per business; unset: no limit. Past it: 429, nothing queued. */
  messagesPerMinute?: number;
  /** Where that count is kept: default this process; a Redis counter shares it across nodes. */
  rateCounter?: RateCounter;
  now?: () => Date;
}

const SendQuery = queryObject({
  businessId: z.uuid().optional().describe("Default: the signed-in owner's business"),
});

export const WhatsAppSendBody = z
  .strictObject({
    businessId: z
      .uuid()
      .optional()
      .describe("The business that writes (or ?businessId=); default: the signed-in owner's"),
    to: z
      .string()
      .max(40)
      .refine((v) => whatsappAddress(v) !== undefined, 'must be whatsapp:+E164 or +E164')
      .describe('The contact: whatsapp:+E164 or +E164'),
    message: z
      .string()
      .trim()
      .min(1)
      .max(WHATSAPP_MAX_BODY)
      .optional()
      .describe('Free text; only within 24 hours of the contact’s last message'),
    contentSid: z
      .string()
      .regex(/^HX[0-9a-fA-F]{32}$/, 'must be a Content API template SID (HX followed by 32 hex digits)')
      .optional()
      .describe('An approved template (Content API), allowed at any time'),
    contentVariables: z
      .record(z.string().regex(/^\w{1,40}$/), z.string().max(1024))
      .optional()
      .describe('The template’s variables, e.g. {"1": "12/1", "2": "3pm"}'),
  })
  .superRefine((b, ctx) => {
    if ((b.message === undefined) === (b.contentSid === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['message'],
        message: 'give exactly one of message or contentSid',
      });
    if (b.contentVariables && b.contentSid === undefined)
      ctx.addIssue({ code: 'custom', path: ['contentVariables'], message: 'only with contentSid' });
  })
  .describe('A message to a WhatsApp contact: free text (message) or a template (contentSid)');

export function registerWhatsAppSendApi(app: FastifyInstance, deps: WhatsAppSendDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const now = deps.now ?? (() => new Date());
  const limit =
    deps.messagesPerMinute && deps.messagesPerMinute > 0
      ? new OutboundRateLimit(deps.messagesPerMinute, 'whatsapp', deps.rateCounter)
      : undefined;

  api.post(
    WHATSAPP_SEND_PATH,
    {
      onRequest: deps.access.managers,
      schema: adminRoute({
        summary:
          'Send a WhatsApp message (free text within 24 h of the contact’s last message, else a template)',
        tags: ['whatsapp'],
        querystring: SendQuery,
        body: WhatsAppSendBody,
        response: {
          202: z.object({
            id: z.uuid().describe('The outbox entry: GET /api/outbox/{id} shows its delivery'),
            status: z.literal('queued'),
          }),
          403: errorBodySchema.describe('Not an owner or admin of this business'),
          422: errorBodySchema.describe(
            'whatsapp_window_closed: free text outside the 24-hour window; send a template (contentSid)',
          ),
          429: errorBodySchema.describe(
            'too_many_requests: the business sent OUTBOUND_MESSAGES_PER_MINUTE this minute (Retry-After)',
          ),
        },
      }),
    },
    async (req, reply) => {
      const b = req.body;
      if (b.businessId && req.query.businessId && b.businessId !== req.query.businessId) {
        const message = 'The body and the query name different businesses: name it once.';
        throw new ApiError(400, 'validation_failed', message, [{ path: 'body.businessId', message }]);
      }
      const businessId = assertManages(req, oneBusinessOf(req, b.businessId ?? req.query.businessId));
      // Checked by the schema: an address.
      const to = whatsappAddress(b.to)!;
      if (b.message !== undefined) {
        const last = await deps.conversations.lastInboundAt(businessId, 'whatsapp', to);
        if (!last || now().getTime() - last.getTime() > WHATSAPP_WINDOW_MS) {
          throw new ApiError(
            422,
            'whatsapp_window_closed',
            'This contact has not written in the last 24 hours: WhatsApp allows only an approved ' +
              'template now. Send it with contentSid (and contentVariables).',
          );
        }
      }
      // Counted last, so a refused or invalid message does not use up the business's minute.
      const taken = limit ? await limit.take(businessId) : { ok: true as const };
      if (!taken.ok) {
        const secs = retryAfterSeconds(taken.retryAfterMs);
        void reply.header('retry-after', String(secs));
        throw new ApiError(
          429,
          'too_many_requests',
          `Too many WhatsApp messages sent for this business; try again in ${secs} s.`,
        );
      }
      // The thread the contact knows: from the address they wrote to, else the configured sender.
      const wroteTo = await deps.inbox.lastAddressOf({ businessId, partyKey: to });
      const from = wroteTo && WHATSAPP_ADDRESS.test(wroteTo) ? wroteTo : deps.from;
      const payload = {
        ...(from ? { from } : {}),
        ...(b.contentSid ? { contentSid: b.contentSid } : {}),
        ...(b.contentVariables ? { contentVariables: b.contentVariables } : {}),
      };
      const body =
        b.message ?? `Template ${b.contentSid} ${JSON.stringify(b.contentVariables ?? {})}`.trimEnd();
      const [row] = await deps.notifier.transaction((tx) =>
        deps.notifier.enqueue(tx, [
          { businessId, kind: 'whatsapp', recipient: to, body, payload, cause: 'whatsapp-send' },
        ]),
      );
      if (!row) throw new Error('the WhatsApp message was not written to the outbox');
      return reply.code(202).send({ id: row.id, status: 'queued' as const });
    },
  );
}
