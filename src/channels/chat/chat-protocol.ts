import { z } from 'zod';

/**
 * The chat widget's WebSocket protocol (GET /chat): JSON text frames, one message each, every
 * one a `type`-tagged object. The browser side (web/widget/src/protocol.ts) mirrors these shapes
 * by hand: the widget has no zod, to stay small.
 *
 * client -> server
 *   hello   {key, resume?}  first frame: the business's public key, and the resume token a
 *                           previous `ready` gave (the widget keeps it in localStorage)
 *   message {id, text}      what the visitor typed; `id` is the widget's own, for its records
 * server -> client
 *   ready   {conversation, history, business, level, branding}
 *   typing  {}              the brain is working on a reply
 *   reply   {text}          one per brain `say`, in order
 *   ended   {reason}        the conversation is over (a new `hello` without resume starts another)
 *   error   {code, message} the socket stays open unless the code says otherwise
 */

/** Longest message a visitor may send, in characters. */
export const MAX_MESSAGE_CHARS = 1000;
/** Longest frame accepted at all, in bytes (a message of MAX_MESSAGE_CHARS escaped, and then some). */
export const MAX_FRAME_BYTES = 8 * 1024;

export const PUBLIC_KEY_PATTERN = /^pk_[0-9a-f]{32}$/;
export const publicKeySchema = z.string().regex(PUBLIC_KEY_PATTERN, 'expected a widget key, pk_ and 32 hex');

export const WIDGET_LEVELS = ['basic', 'enhanced', 'full'] as const;
export type WidgetLevel = (typeof WIDGET_LEVELS)[number];

export const clientMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('hello'),
    key: publicKeySchema,
    resume: z.string().min(1).max(2048).optional(),
  }),
  z.strictObject({
    type: z.literal('message'),
    id: z.string().min(1).max(64),
    text: z.string().trim().min(1).max(MAX_MESSAGE_CHARS),
  }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

export const historyEntrySchema = z.strictObject({
  from: z.enum(['visitor', 'agent']),
  text: z.string(),
});
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

/** A quick reply: the chip shows `label` and sends `text` as the visitor's message. */
export const chipSchema = z.strictObject({ label: z.string(), text: z.string() });
export type Chip = z.infer<typeof chipSchema>;

export const ERROR_CODES = [
  'bad_message',
  'hello_first',
  'already_started',
  'unknown_key',
  'origin_not_allowed',
  'rate_limited',
  'too_many_sockets',
  'bad_token',
  'busy',
  'unavailable',
] as const;
export type ChatErrorCode = (typeof ERROR_CODES)[number];

export const serverMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('ready'),
    conversation: z.string(),
    history: z.array(historyEntrySchema),
    business: z.strictObject({ name: z.string() }),
    level: z.enum(WIDGET_LEVELS),
    branding: z.boolean(),
    /** Quick replies the widget offers as chips (none on the basic level). */
    chips: z.array(chipSchema),
  }),
  z.strictObject({ type: z.literal('typing') }),
  z.strictObject({ type: z.literal('reply'), text: z.string() }),
  z.strictObject({ type: z.literal('ended'), reason: z.string() }),
  z.strictObject({ type: z.literal('error'), code: z.enum(ERROR_CODES), message: z.string() }),
]);
export type ServerMessage = z.infer<typeof serverMessageSchema>;

/** A frame as received: parsed and validated, or why not (a sentence for the visitor's widget). */
export function parseClientFrame(
  raw: Buffer | ArrayBuffer | Buffer[] | string,
): { ok: true; message: ClientMessage } | { ok: false; message: string } {
  const text =
    typeof raw === 'string'
      ? raw
      : Array.isArray(raw)
        ? Buffer.concat(raw).toString('utf8')
        : Buffer.from(raw as ArrayBuffer).toString('utf8');
  if (Buffer.byteLength(text) > MAX_FRAME_BYTES) return { ok: false, message: 'That message is too long.' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, message: 'Frames must be JSON.' };
  }
  const parsed = clientMessageSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    return { ok: false, message: `Not a valid message (${where}${issue?.message ?? 'invalid'}).` };
  }
  return { ok: true, message: parsed.data };
}
