import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Brain } from '../agent/index.js';
import { registerSessionsApi, type SessionsApiDeps } from '../admin/sessions-api.js';
import { registerChatWidget, registerSlackCommands } from '../channels/index.js';
import type { Config } from '../config.js';
import {
  ConversationEngine,
  runIdleSweeper,
  type ConversationBrainRequest,
  type ConversationId,
} from '../conversations/index.js';
import type { Access } from '../http/access.js';
import { ApiError } from '../http/errors.js';
import type { Logger } from '../http/logger.js';
import type { Metrics } from '../http/metrics.js';
import type { Notifier } from '../notify/index.js';
import { parseE164, type BusinessId, type CallSid } from '../ids.js';
import type { BusinessesRepo, CallsRepo } from '../store/index.js';
import { ConversationsRepo, RoomsRepo, SessionsRepo, type Database } from '../store/index.js';
import {
  OutboundCalls,
  registerOutboundCallRoutes,
  registerWhatsAppMessageRoute,
  registerWhatsAppSendApi,
  StoredWhatsAppInbox,
  type SignatureVerifier,
  type StartedStream,
  type StreamCall,
  type TwilioRestClient,
} from '../telephony/twilio/index.js';
import {
  liveKitRooms,
  registerCallPageRoutes,
  registerRoomRoutes,
  registerWebCallSocket,
  RoomTokens,
} from '../telephony/web/index.js';
import type { EventBus } from '../store/bus/index.js';
import type { CallEvent } from '../voice/index.js';
import type { RateCounter } from '../store/rate/index.js';

/** How long a room's media token may wait before the page opens its socket (it works once). */
const ROOM_TOKEN_TTL_SECONDS = 120;
/** How often idle chat and WhatsApp conversations are looked for. */
const IDLE_SWEEP_EVERY_MS = 60_000;

/**
 * A key of its own for each kind of token the channels sign, derived from one configured secret
 * (STREAM_TOKEN_SECRET, shared by all nodes): a widget's resume token can never pass for a room's.
 */
export function derivedSecret(base: string, purpose: string): string {
  return createHmac('sha256', base).update(`switchboard:${purpose}`).digest('base64url');
}

export interface ChannelsDeps {
  server: FastifyInstance;
  config: Config;
  database: Database;
  calls: CallsRepo;
  businesses: BusinessesRepo;
  access: Access;
  rest: TwilioRestClient | undefined;
  brainFor(req: ConversationBrainRequest): Brain;
  /** The stream-token secret (configured or local): the channels' token keys derive from it. */
  tokenSecret: string;
  /** WhatsApp replies and messages go through the outbox. */
  notifier: Notifier;
  /** Twilio's signature check (the WhatsApp webhook). */
  verifier: SignatureVerifier;
  /** The deployment's live sessions: GET /sessions adds each one's node, last activity and turns. */
  liveSessions: SessionsApiDeps['live'];
  /** Per-business outbound counts (calls placed, WhatsApp sent): Redis across nodes, or memory. */
  rateCounter: RateCounter;
  metrics: Metrics;
  log: Logger;
}

export interface Channels {
  /** Turn-by-turn conversations (chat, WhatsApp, record-and-reply calls). */
  readonly conversations: ConversationEngine;
  readonly outbound: OutboundCalls;
  /** A call is over (Twilio's final status): its record-and-reply conversation, if any, ends too. */
  callEnded(callSid: CallSid): Promise<void>;
  /** Stops the idle sweep and lets turns under way finish. */
  close(): Promise<void>;
}

/**
 * The channels beside the phone's media stream, wired once: the conversation engine and its idle
 * sweep, the chat widget, outbound calls and live sessions, Slack's /call.
 */
export async function wireChannels(deps: ChannelsDeps): Promise<Channels> {
  const { server, config, database, calls, businesses, access, log } = deps;
  const conversations = new ConversationEngine({
    db: database.db,
    calls,
    businesses,
    brainFor: deps.brainFor,
    log,
  });
  const sweeping = new AbortController();
  const sweeper = runIdleSweeper(sweeping.signal, {
    repo: new ConversationsRepo(database.db),
    conversations,
    log,
    idleMs: config.channels.conversationIdleMs,
    everyMs: IDLE_SWEEP_EVERY_MS,
  });

  registerChatWidget(server, {
    conversations,
    businesses,
    tokenSecret: derivedSecret(deps.tokenSecret, 'chat-resume'),
    publicUrl: config.publicUrl,
    log,
  });

  // WhatsApp: a message is a turn of the contact's conversation, the reply an outbox row. The
  // configured sender (a shared sandbox number no business owns) answers for the oldest business.
  const whatsappFrom = config.twilioRest.whatsappFrom;
  const whatsappBusiness = whatsappFrom ? (await businesses.list())[0]?.id : undefined;
  const whatsappInbox = new StoredWhatsAppInbox(database.db);
  registerWhatsAppMessageRoute(server, {
    findBusinessByNumber: async (number) => {
      const e164 = parseE164(number);
      return e164 ? businesses.findByPhoneNumber(e164) : undefined;
    },
    ...(whatsappFrom && whatsappBusiness
      ? { sender: { address: whatsappFrom, businessId: whatsappBusiness } }
      : {}),
    conversations,
    inbox: whatsappInbox,
    replies: deps.notifier,
    verifier: deps.verifier,
    publicUrl: config.publicUrl,
    metrics: deps.metrics,
    log,
  });
  registerWhatsAppSendApi(server, {
    access,
    conversations,
    inbox: whatsappInbox,
    notifier: deps.notifier,
    from: whatsappFrom,
    messagesPerMinute: config.channels.outboundMessagesPerMinute,
    rateCounter: deps.rateCounter,
  });

  const sessions = new SessionsRepo(database.db);
  const outbound = new OutboundCalls({
    rest: deps.rest,
    calls,
    sessions,
    publicUrl: config.publicUrl,
    fromNumber: config.twilioRest.fromNumber,
    whatsappFrom: config.twilioRest.whatsappFrom,
    callsPerMinute: config.channels.outboundCallsPerMinute,
    rateCounter: deps.rateCounter,
    log,
  });
  registerOutboundCallRoutes(server, { access, outbound, businesses });
  registerSessionsApi(server, { access, sessions, live: deps.liveSessions });
  registerSlackCommands(server, {
    signingSecret: config.channels.slackSigningSecret,
    businesses,
    log,
    placeCall: async (id: BusinessId, to: string) => {
      const business = await businesses.getById(id);
      if (!business) throw new ApiError(404, 'not_found', 'No business with this id.');
      return outbound.place({ business, to, channel: 'phone' });
    },
  });

  const conversationRows = new ConversationsRepo(database.db);
  return {
    conversations,
    outbound,
    async callEnded(callSid) {
      const businessId = await calls.businessOf(callSid);
      if (!businessId) return;
      const open = await conversationRows.findOpen({ businessId, channel: 'phone', partyKey: callSid });
      if (open) await conversations.end(open.id as ConversationId, 'caller-hung-up');
    },
    async close() {
      sweeping.abort();
      await sweeper;
      await conversations.close();
    },
  };
}

export interface BrowserCallsDeps {
  server: FastifyInstance;
  config: Config;
  database: Database;
  calls: CallsRepo;
  access: Access;
  tokenSecret: string;
  nodeId: string;
  /** The call controller's: a browser call runs the same pipeline as a phone call. */
  startCall(stream: StartedStream): Promise<StreamCall>;
  bus: EventBus<CallEvent>;
  metrics: Metrics;
  log: Logger;
  acceptingCalls(): boolean;
}

/**
 * Browser calls: rooms (/room/*, with LiveKit tokens when LiveKit is configured), the media
 * socket that puts a visitor's microphone through the call pipeline, and the /call page.
 */
export async function wireBrowserCalls(deps: BrowserCallsDeps): Promise<void> {
  const { server, config, log } = deps;
  const rooms = new RoomsRepo(deps.database.db);
  const tokens = new RoomTokens(derivedSecret(deps.tokenSecret, 'room-media'), ROOM_TOKEN_TTL_SECONDS);
  const livekit = config.channels.livekit;
  await registerRoomRoutes(server, {
    access: deps.access,
    rooms,
    tokens,
    publicUrl: config.publicUrl,
    joinsPerMinute: config.channels.roomJoinsPerMinute,
    log,
    ...(livekit ? { liveKit: liveKitRooms(livekit) } : {}),
  });
  registerWebCallSocket(server, {
    tokens,
    rooms,
    calls: deps.calls,
    nodeId: deps.nodeId,
    startCall: deps.startCall,
    bus: deps.bus,
    metrics: deps.metrics,
    log,
    idleTimeoutMs: config.streamIdleTimeoutMs,
    acceptingCalls: deps.acceptingCalls,
  });
  registerCallPageRoutes(server);
}
