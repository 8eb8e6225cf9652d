import type { FastifyInstance, FastifyReply } from 'fastify';
import twilio from 'twilio';
import { z } from 'zod';
import {
  ConversationEndedError,
  type ConversationRef,
  type Conversations,
} from '../../conversations/index.js';
import { maskPhone } from '../../http/logger.js';
import type { Metrics } from '../../http/metrics.js';
import type { BusinessId } from '../../ids.js';
import type { NewNotification, Notifier } from '../../notify/index.js';
import { deadline, type Logger } from '../../shared/index.js';
import type { SignatureVerifier } from './signature.js';
import { flattenForm, refuseBadParams, twilioSignatureCheck, type FormBody } from './webhook-request.js';
import {
  WHATSAPP_ADDRESS,
  WHATSAPP_MAX_BODY,
  cutToLength,
  numberOfAddress,
  splitMessage,
} from './whatsapp-address.js';
import type { WhatsAppInbox } from './whatsapp-inbox.js';

/**
 * POST /whatsapp/message: a customer wrote to the business on WhatsApp (Twilio's messaging
 * webhook, PROTOCOLS.md 4.1). The message is one turn of the contact's conversation (the same
 * brain, tools, leads and emergencies as a call); the brain's answer goes back as one WhatsApp
 * message through the outbox (kind 'whatsapp', cause 'whatsapp-reply'), so it is retried and
 * shown like any notification. Twilio gets an empty `<Response/>` and sends nothing itself.
 *
 * Twilio may post one message twice: its MessageSid is claimed in the inbox before the turn, a
 * repeat is answered with the empty response and nothing else, and the reply rows carry dedupe
 * keys `whatsapp-reply:<MessageSid>:<n>`.
 *
 * Nothing the customer wrote goes to a log: only its length and masked numbers.
 */

export const WHATSAPP_MESSAGE_PATH = '/whatsapp/message';

/** The answer to a message with no text (a photo, a voice note, a sticker): the brain reads text only. */
export const TEXT_ONLY_REPLY =
  "Sorry, I can only read text messages here. Please write what you need and I'll help.";
/** The answer when the turn failed (brain error, timeout): the customer is not left in silence. */
export const TURN_FAILED_REPLY =
  'Sorry, something went wrong on our side. Please send your message again in a moment.';

export interface WhatsAppMessageDeps {
  /** The business owning a number (E.164): the one the customer wrote to. */
  findBusinessByNumber(number: string): Promise<{ id: BusinessId } | undefined>;
  /**
   * The configured WhatsApp sender (TWILIO_WHATSAPP_FROM / TWILIO_WHATSAPP_NUMBER) and the business
   * it answers for, used when no business owns the number written to (the shared sandbox number).
   */
  sender?: { address: string; businessId: BusinessId } | undefined;
  conversations: Pick<Conversations, 'open' | 'take'>;
  inbox: WhatsAppInbox;
  /** Writes the reply rows and wakes the dispatcher after the commit. */
  replies: Pick<Notifier, 'transaction' | 'enqueue'>;
  verifier: SignatureVerifier;
  publicUrl: string;
  metrics: Metrics;
  log: Logger;
  /** How long the brain may take over one message (Twilio gives up on the webhook after 15 s). */
  turnTimeoutMs?: number;
  now?: () => Date;
}

const whatsapp = (what: string) =>
  z.string().regex(WHATSAPP_ADDRESS, `must be ${what} WhatsApp address (whatsapp:+E164)`);

/** Twilio's messaging webhook (PROTOCOLS.md 4.1); Twilio adds parameters without notice. */
export const WhatsAppMessageParams = z.looseObject({
  MessageSid: z.string().min(1).max(64),
  From: whatsapp("the sender's"),
  To: whatsapp('our'),
  Body: z.string().default(''),
  NumMedia: z.string().regex(/^\d+$/).default('0'),
  /** The text of a quick-reply button the customer tapped (then Body may be empty). */
  ButtonText: z.string().optional(),
});

const emptyResponse = () => new twilio.twiml.MessagingResponse().toString();

export function registerWhatsAppMessageRoute(app: FastifyInstance, deps: WhatsAppMessageDeps): void {
  const route = 'whatsapp-message';
  const now = deps.now ?? (() => new Date());
  const turnTimeoutMs = deps.turnTimeoutMs ?? 12_000;
  const checkSignature = twilioSignatureCheck({
    verifier: deps.verifier,
    publicUrl: deps.publicUrl,
    metrics: deps.metrics,
    log: deps.log,
  });

  const businessFor = async (to: string): Promise<BusinessId | undefined> => {
    const owner = await deps.findBusinessByNumber(numberOfAddress(to) ?? to);
    if (owner) return owner.id;
    return deps.sender && deps.sender.address === to ? deps.sender.businessId : undefined;
  };

  /**
   * One turn; a conversation the idle sweep closed in the meantime is opened anew, once. Returns
   * the conversation the turn was taken on (its callSid goes on the replies).
   */
  const takeTurn = async (ref: ConversationRef, open: () => Promise<ConversationRef>, text: string) => {
    const d = deadline(turnTimeoutMs);
    // The deadline holds even for a turn that does not heed its signal: Twilio is not kept waiting.
    const take = (id: ConversationRef['id']) =>
      untilAborted(deps.conversations.take(id, { kind: 'speech', text }, { signal: d.signal }), d.signal);
    try {
      try {
        return { ref, turn: await take(ref.id) };
      } catch (err) {
        if (!(err instanceof ConversationEndedError)) throw err;
        const fresh = await open();
        return { ref: fresh, turn: await take(fresh.id) };
      }
    } finally {
      d.clear();
    }
  };

  app.post(WHATSAPP_MESSAGE_PATH, { preHandler: checkSignature(route) }, async (req, reply: FastifyReply) => {
    const parsed = WhatsAppMessageParams.safeParse(flattenForm((req.body ?? {}) as FormBody));
    if (!parsed.success) return refuseBadParams(reply, deps.metrics, route, parsed.error);
    const p = parsed.data;
    const xml = () => reply.type('text/xml').send(emptyResponse());
    const log = { messageSid: p.MessageSid, from: maskPhone(numberOfAddress(p.From)) };

    const businessId = await businessFor(p.To);
    if (!businessId) {
      deps.log.info(
        { ...log, to: maskPhone(numberOfAddress(p.To)) },
        'WhatsApp message to a number no business owns',
      );
      return xml();
    }
    const open = () =>
      deps.conversations.open({
        businessId,
        channel: 'whatsapp',
        partyKey: p.From,
        ...(numberOfAddress(p.From) ? { callerId: numberOfAddress(p.From) } : {}),
        from: p.From,
        to: p.To,
      });
    let conversation = await open();
    const first = await deps.inbox.claim({
      businessId,
      partyKey: p.From,
      callSid: conversation.callSid,
      messageSid: p.MessageSid,
      at: now(),
    });
    if (!first) {
      deps.metrics.rejectedWebhooks.inc({ route, reason: 'replayed' });
      deps.log.info(log, 'WhatsApp message already answered: not again');
      return xml();
    }

    const text = cutToLength((p.Body.trim() || p.ButtonText?.trim()) ?? '', WHATSAPP_MAX_BODY);
    let answer: string;
    if (!text) {
      answer = TEXT_ONLY_REPLY;
      deps.log.info({ ...log, media: Number(p.NumMedia) }, 'WhatsApp message without text');
    } else {
      try {
        const { ref, turn } = await takeTurn(conversation, open, text);
        conversation = ref;
        answer = turn.replies
          .map((r) => r.trim())
          .filter(Boolean)
          .join(' ');
        deps.log.info(
          { ...log, callSid: ref.callSid, chars: text.length, replyChars: answer.length },
          'WhatsApp message answered',
        );
      } catch (err) {
        deps.log.error({ ...log, callSid: conversation.callSid, err }, 'WhatsApp turn failed');
        answer = TURN_FAILED_REPLY;
      }
    }

    const rows: NewNotification[] = splitMessage(answer).map((body, n) => ({
      businessId,
      kind: 'whatsapp',
      recipient: p.From,
      body,
      payload: { from: p.To },
      cause: 'whatsapp-reply',
      causeId: p.MessageSid,
      callSid: conversation.callSid,
      dedupeKey: `whatsapp-reply:${p.MessageSid}:${n}`,
    }));
    if (rows.length > 0) await deps.replies.transaction((tx) => deps.replies.enqueue(tx, rows));
    return xml();
  });
}

/** `p`, or a rejection with the signal's reason once it aborts, whichever comes first. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
