import type { WebSocket } from 'ws';
import {
  ConversationEndedError,
  type ConversationId,
  type ConversationRef,
  type Conversations,
  type TurnResult,
} from '../../conversations/index.js';
import type { TurnInput } from '../../agent/index.js';
import type { Logger } from '../../shared/index.js';
import type { Business } from '../../store/index.js';
import {
  parseClientFrame,
  type ChatErrorCode,
  type ClientMessage,
  type HistoryEntry,
  type ServerMessage,
} from './chat-protocol.js';
import { newVisitorId, type ResumeTokens } from './resume-token.js';
import { allowedOriginsOf, originAllowed, widgetConfigOf } from './widget-settings.js';

/**
 * One widget's socket from `hello` to close: finds the business by its public key, checks the
 * page's origin, opens (or resumes) the visitor's conversation, then hands each message to the
 * conversation as a turn and sends back the brain's replies, in order. Nothing a browser sends
 * can throw out of here: a bad frame gets an `error` and the socket stays open.
 */

export interface ChatLimits {
  /** Messages one socket may send per minute; more get `error rate_limited` and are dropped. */
  messagesPerMinute: number;
  /** Sockets open on one conversation at once (tabs of one visitor). */
  socketsPerConversation: number;
  /** Messages waiting for the brain on one socket; more get `error busy`. */
  queuedMessages: number;
  /** A turn the brain has not answered by then is abandoned. */
  turnTimeoutMs: number;
  /** A socket that has not said hello by then is closed. */
  helloTimeoutMs: number;
  /** New visitors (conversations without a resume token) one address may start per minute. */
  newVisitorsPerMinute: number;
}

export const DEFAULT_CHAT_LIMITS: ChatLimits = {
  messagesPerMinute: 20,
  socketsPerConversation: 5,
  queuedMessages: 5,
  turnTimeoutMs: 30_000,
  helloTimeoutMs: 10_000,
  newVisitorsPerMinute: 20,
};

export interface ChatSocketDeps {
  conversations: Conversations;
  businesses: { findByPublicKey(publicKey: string): Promise<Business | undefined> };
  tokens: ResumeTokens;
  sockets: ConversationSockets;
  /** New visitors per client address (each costs a conversation and a calls row). */
  newVisitors: RateWindow;
  limits: ChatLimits;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Our own origin (PUBLIC_URL's): the /demo page may always chat. */
  ownOrigin?: string;
  /** Epoch ms, for the rate limit. */
  now?: () => number;
}

/** Close codes (4000-4999 are the application's). */
const CLOSE = { unknownKey: 4404, origin: 4403, tooMany: 4429, helloTimeout: 4408 } as const;

/** Which sockets are open on which conversation, to cap tabs per conversation. */
export class ConversationSockets {
  private readonly open = new Map<ConversationId, Set<WebSocket>>();

  add(id: ConversationId, socket: WebSocket, max: number): boolean {
    const set = this.open.get(id) ?? new Set<WebSocket>();
    if (set.size >= max) return false;
    set.add(socket);
    this.open.set(id, set);
    return true;
  }

  remove(id: ConversationId, socket: WebSocket): void {
    const set = this.open.get(id);
    if (!set) return;
    set.delete(socket);
    if (set.size === 0) this.open.delete(id);
  }

  count(id: ConversationId): number {
    return this.open.get(id)?.size ?? 0;
  }
}

/** Events per key in a sliding minute, for limits shared by the sockets of one address. */
export class RateWindow {
  private readonly seen = new Map<string, number[]>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one event for `key`; false (not counted) when the minute's budget is spent. */
  take(key: string): boolean {
    const t = this.now();
    const recent = (this.seen.get(key) ?? []).filter((at) => at > t - 60_000);
    if (recent.length >= this.perMinute) {
      this.seen.set(key, recent);
      return false;
    }
    recent.push(t);
    this.seen.set(key, recent);
    // Forget addresses whose minute has passed, so the map stays as small as the traffic.
    if (this.seen.size > 10_000) {
      for (const [k, v] of this.seen) if (v.every((at) => at <= t - 60_000)) this.seen.delete(k);
    }
    return true;
  }
}

/** `client`: the address the socket came from (req.ip), for the new-visitor limit. */
export function handleChatSocket(
  socket: WebSocket,
  client: { origin: string | undefined; ip: string },
  deps: ChatSocketDeps,
): void {
  const { origin } = client;
  const now = deps.now ?? Date.now;
  let phase: 'hello' | 'starting' | 'ready' | 'closed' = 'hello';
  let conversation: ConversationRef | undefined;
  /** Everything after hello runs on this chain, one at a time, so replies keep the messages' order. */
  let chain: Promise<void> = Promise.resolve();
  let queued = 0;
  const sentAt: number[] = [];

  const send = (m: ServerMessage): void => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(m));
  };
  const fail = (code: ChatErrorCode, message: string): void => send({ type: 'error', code, message });
  const refuse = (closeCode: number, code: ChatErrorCode, message: string): void => {
    fail(code, message);
    phase = 'closed';
    socket.close(closeCode, code);
  };

  const helloTimer = setTimeout(() => {
    if (phase === 'hello') refuse(CLOSE.helloTimeout, 'hello_first', 'No hello came; closing.');
  }, deps.limits.helloTimeoutMs);
  helloTimer.unref?.();

  /** Runs `job` after everything before it; a failure is reported to the visitor, never thrown. */
  const enqueue = (job: () => Promise<void>): void => {
    queued += 1;
    chain = chain
      .then(job)
      .catch((err: unknown) => {
        deps.log.error(
          { err, conversationId: conversation?.id, businessId: conversation?.businessId },
          'chat turn failed',
        );
        fail('unavailable', 'Sorry, something went wrong on our side. Please try again.');
      })
      .finally(() => {
        queued -= 1;
      });
  };

  /** Read through a call: the socket may close while hello awaits the database. */
  const isClosed = (): boolean => phase === 'closed';

  async function hello(m: Extract<ClientMessage, { type: 'hello' }>): Promise<void> {
    const business = await deps.businesses.findByPublicKey(m.key);
    if (isClosed()) return;
    if (!business) return refuse(CLOSE.unknownKey, 'unknown_key', 'No business has this widget key.');
    if (!originAllowed(allowedOriginsOf(business), origin, deps.ownOrigin)) {
      deps.log.warn({ businessId: business.id, origin }, 'chat refused: origin not allowed');
      return refuse(CLOSE.origin, 'origin_not_allowed', 'This site may not use this chat widget.');
    }
    const claims = m.resume === undefined ? undefined : await deps.tokens.verify(m.resume);
    const resumed = claims?.businessId === business.id ? claims : undefined;
    if (m.resume !== undefined && !resumed) {
      fail('bad_token', 'That conversation could not be resumed; starting a new one.');
    }
    if (!resumed && !deps.newVisitors.take(client.ip)) {
      return refuse(
        CLOSE.tooMany,
        'rate_limited',
        'Too many new chats from here; please try again in a minute.',
      );
    }
    const visitorId = resumed?.visitorId ?? newVisitorId();
    // open() gives the visitor's open conversation or, when the last one ended, a new one.
    const ref = await deps.conversations.open({
      businessId: business.id,
      channel: 'chat',
      partyKey: visitorId,
    });
    if (isClosed()) return;
    if (!deps.sockets.add(ref.id, socket, deps.limits.socketsPerConversation)) {
      return refuse(CLOSE.tooMany, 'too_many_sockets', 'This conversation is open in too many windows.');
    }
    conversation = ref;
    const history: HistoryEntry[] = ref.created
      ? []
      : (await deps.conversations.history(ref.id)).map((e) => ({
          from: e.speaker === 'caller' ? 'visitor' : 'agent',
          text: e.text,
        }));
    const token = await deps.tokens.sign({ conversationId: ref.id, businessId: business.id, visitorId });
    if (isClosed()) return;
    phase = 'ready';
    send({ type: 'ready', conversation: token, history, ...widgetConfigOf(business) });
    deps.log.info(
      { conversationId: ref.id, businessId: business.id, resumed: !ref.created },
      ref.created ? 'chat started' : 'chat resumed',
    );
    if (ref.created) await turn({ kind: 'call-started' });
  }

  async function turn(input: TurnInput): Promise<void> {
    const ref = conversation;
    // Runs even when the socket has closed meanwhile: the visitor's words are kept and the reply
    // is in the history the next page load shows.
    if (!ref) return;
    send({ type: 'typing' });
    const controller = new AbortController();
    // A timer-held controller, not AbortSignal.timeout: Node may collect that one unfired.
    const timer = setTimeout(
      () => controller.abort(new Error('chat turn timed out')),
      deps.limits.turnTimeoutMs,
    );
    let result: TurnResult;
    try {
      result = await deps.conversations.take(ref.id, input, { signal: controller.signal });
    } catch (err) {
      if (err instanceof ConversationEndedError) return send({ type: 'ended', reason: 'ended' });
      // Another node took a turn of this conversation at the same moment: nothing was stored.
      if (err instanceof Error && err.name === 'ConversationBusyError') {
        return fail('busy', 'That message crossed another one; please send it again.');
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
    for (const text of result.replies) send({ type: 'reply', text });
    if (result.ended) send({ type: 'ended', reason: result.ended });
  }

  /** True when this socket may send another message now (a sliding minute). */
  function withinRate(): boolean {
    const t = now();
    while (sentAt.length > 0 && sentAt[0]! <= t - 60_000) sentAt.shift();
    if (sentAt.length >= deps.limits.messagesPerMinute) return false;
    sentAt.push(t);
    return true;
  }

  socket.on('message', (data, isBinary) => {
    if (phase === 'closed') return;
    if (isBinary) return fail('bad_message', 'Frames must be JSON text.');
    const parsed = parseClientFrame(data);
    if (!parsed.ok) return fail('bad_message', parsed.message);
    const m = parsed.message;
    if (m.type === 'hello') {
      if (phase !== 'hello') return fail('already_started', 'This socket has already said hello.');
      phase = 'starting';
      clearTimeout(helloTimer);
      return enqueue(() => hello(m));
    }
    if (phase === 'hello') return fail('hello_first', 'Say hello first.');
    if (!withinRate()) return fail('rate_limited', 'Too many messages; please wait a moment.');
    if (queued > deps.limits.queuedMessages) {
      return fail('busy', 'Still answering your earlier messages; please wait a moment.');
    }
    enqueue(() => turn({ kind: 'speech', text: m.text }));
  });

  socket.on('close', () => {
    phase = 'closed';
    clearTimeout(helloTimer);
    if (conversation) deps.sockets.remove(conversation.id, socket);
  });

  socket.on('error', (err) => {
    deps.log.warn({ err, conversationId: conversation?.id }, 'chat socket error');
  });
}
