import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Brain } from '../agent/index.js';
import { registerSessionsApi } from '../admin/sessions-api.js';
import { registerChatWidget, registerSlackCommands } from '../channels/index.js';
import type { Config } from '../config.js';
import { ConversationEngine, runIdleSweeper, type ConversationBrainRequest } from '../conversations/index.js';
import type { Access } from '../http/access.js';
import { ApiError } from '../http/errors.js';
import type { Logger } from '../http/logger.js';
import type { BusinessId } from '../ids.js';
import type { BusinessesRepo, CallsRepo } from '../store/index.js';
import { ConversationsRepo, SessionsRepo, type Database } from '../store/index.js';
import {
  OutboundCalls,
  registerOutboundCallRoutes,
  type TwilioRestClient,
} from '../telephony/twilio/index.js';

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
  log: Logger;
}

export interface Channels {
  /** Turn-by-turn conversations (chat, WhatsApp, record-and-reply calls). */
  readonly conversations: ConversationEngine;
  readonly outbound: OutboundCalls;
  /** Stops the idle sweep and lets turns under way finish. */
  close(): Promise<void>;
}

/**
 * The channels beside the phone's media stream, wired once: the conversation engine and its idle
 * sweep, the chat widget, outbound calls and live sessions, Slack's /call.
 */
export function wireChannels(deps: ChannelsDeps): Channels {
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

  const sessions = new SessionsRepo(database.db);
  const outbound = new OutboundCalls({
    rest: deps.rest,
    calls,
    sessions,
    publicUrl: config.publicUrl,
    fromNumber: config.twilioRest.fromNumber,
    whatsappFrom: config.twilioRest.whatsappFrom,
    callsPerMinute: config.channels.outboundCallsPerMinute,
    log,
  });
  registerOutboundCallRoutes(server, { access, outbound, businesses });
  registerSessionsApi(server, { access, sessions });
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

  return {
    conversations,
    outbound,
    async close() {
      sweeping.abort();
      await sweeper;
      await conversations.close();
    },
  };
}
