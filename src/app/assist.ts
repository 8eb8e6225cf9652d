import type { FastifyInstance } from 'fastify';
import {
  ASSIST_PHRASES,
  createAssistSessions,
  endedCallsWithoutSummary,
  FeedTickets,
  loadCallFacts,
  PostCallSummaries,
  registerAssistFeed,
  registerAssistTickets,
  type AssistEvent,
  type AssistSessions,
} from '../assist/index.js';
import { planAllows, profileFromStored, type BusinessProfile } from '../business/index.js';
import { streamUrl, type Config } from '../config.js';
import { recordInboundCall } from './call-records.js';
import type { Access } from '../http/access.js';
import type { JobQueue } from '../jobs/index.js';
import { secretsEqual } from '../http/auth.js';
import type { Logger } from '../http/logger.js';
import type { Metrics } from '../http/metrics.js';
import type { BusinessId, CallSid } from '../ids.js';
import { asCallSid, parseE164 } from '../ids.js';
import type { KnowledgeBase } from '../knowledge/index.js';
import type { ChatModel } from '../providers/llm/index.js';
import type { SpeechToText } from '../providers/stt/index.js';
import type { VoiceActivityDetector } from '../providers/vad/index.js';
import type { EventBus } from '../store/bus/index.js';
import { AssistSuggestionsRepo, CallsRepo, type BusinessesRepo, type Database } from '../store/index.js';
import {
  AssistTokens,
  greetingForMessage,
  registerAssistStreamRoute,
  registerAssistWebhook,
  type CallControllerDeps,
  type SignatureVerifier,
  type StreamTokens,
} from '../telephony/twilio/index.js';
import { turnTakingFor } from '../voice/index.js';

/** The open model's key for a business's assisted calls: its words plus what customers say to people. */
export const assistVocabularyKey = (businessId: BusinessId): string => `${businessId}:assist`;

/** The extra model agent assist asks CallerVocabularies to keep per business. */
export const ASSIST_VOCABULARY = { key: assistVocabularyKey, phrases: ASSIST_PHRASES } as const;

export interface AssistWiring {
  /** What assist says about the calls it listens to; the agents' feed subscribes here. */
  readonly bus: EventBus<AssistEvent>;
  readonly sessions: AssistSessions;
  /** Every ended call (AI-answered or assisted) gets its written summary here. */
  readonly summaries: PostCallSummaries;
  /** For the call controller: a transfer to a person starts the assist stream (ASSIST_ON_TRANSFER). */
  readonly onTransfer: CallControllerDeps['assistOnTransfer'];
  /** Ends live assist sessions, then the summaries in progress (before the bus and database close). */
  close(): Promise<void>;
}

export interface AssistWiringDeps {
  server: FastifyInstance;
  config: Config;
  database: Database;
  calls: CallsRepo;
  businesses: BusinessesRepo;
  knowledge: KnowledgeBase;
  stt: readonly SpeechToText[];
  vad: { createStream(sampleRate: 8000): VoiceActivityDetector };
  chatModel: ChatModel | undefined;
  verifier: SignatureVerifier;
  streamTokens: StreamTokens;
  /** Signs assist-stream tokens and feed tickets (each with its own audience). */
  tokenSecret: string;
  /** The feed's server key when ASSIST_API_KEY is unset. */
  apiKey: string;
  /** Who may ask for a feed ticket (for a business they may see). */
  access: Pick<Access, 'signedIn'>;
  metrics: Metrics;
  log: Logger;
  acceptingCalls(): boolean;
  /** Assist events across nodes (Redis) or in this process: an agent on any node sees any call. */
  bus: EventBus<AssistEvent>;
  /** Spends feed tickets once across nodes. */
  onceKeys: { claim(key: string, ttlMs: number): Promise<boolean> };
  /** Each ended call's summary becomes a 'call-summary' job (any node with JOB_CONCURRENCY > 0 runs it). */
  jobs?: Pick<JobQueue, 'add'>;
}

/**
 * Agent assist, wired once: the assisted-call webhook, the two-track stream, the sessions that
 * hear and coach, the agents' feed and its tickets, and the after-call summaries of every call.
 */
export function wireAssist(deps: AssistWiringDeps): AssistWiring {
  const { server, config, database, calls, businesses, log, metrics } = deps;
  const { bus } = deps;
  const summaries = new PostCallSummaries({
    calls,
    facts: (d) => loadCallFacts(database.db, d.callSid),
    endedWithoutSummary: (since) => endedCallsWithoutSummary(database.db, since),
    ...(deps.chatModel ? { chat: deps.chatModel } : {}),
    ...(deps.jobs ? { queue: callSummaryJobs(deps.jobs) } : {}),
    log,
  });
  const businessOf = async (id: BusinessId) => {
    const b = await businesses.getById(id);
    return b ? { stored: b, profile: profileFromStored(b).profile } : undefined;
  };
  // A plan without the voice agent: where the AI would answer, a message is taken instead.
  const messageGreeting = (plan: Parameters<typeof planAllows>[0], profile: BusinessProfile) =>
    planAllows(plan, 'voiceAgent') ? undefined : greetingForMessage(profile, new Date());
  const sessions = createAssistSessions({
    stt: deps.stt,
    vad: deps.vad,
    bus,
    calls,
    suggestions: new AssistSuggestionsRepo(database.db),
    businessProfile: async (id) => (await businessOf(id))?.profile,
    turnTaking: async (id) => turnTakingFor((await businessOf(id))?.stored.settings.turnTaking),
    searchKnowledge: (id, q, signal) => deps.knowledge.search(id, q, 3, signal),
    cardIntervalMs: config.assist.cardIntervalMs,
    vocabularyKey: assistVocabularyKey,
    summaries,
    providerStallMs: config.providerStallMs,
    log,
  });

  const assistTokens = new AssistTokens(deps.tokenSecret, config.streamTokenTtlSeconds);
  registerAssistWebhook(server, {
    ports: {
      findBusinessByNumber: async (to) => {
        const number = parseE164(to);
        const b = number ? await businesses.findByPhoneNumber(number) : undefined;
        if (!b) return undefined;
        const { profile } = profileFromStored(b);
        return {
          id: b.id,
          agentNumber: profile.agentNumber ?? profile.transferNumber,
          messageGreeting: messageGreeting(b.plan, profile),
        };
      },
      recordInboundCall: async (c) => {
        const { call, created } = await recordInboundCall(calls, c);
        if (created) return { state: 'new' };
        // A replay must not hand out a stream again: the assist stream's claim for a call a person
        // answers, the media stream's for one the AI took.
        const finished =
          c.answeredBy === 'human'
            ? call.assistClaimedAt !== null ||
              CallsRepo.isFinishedOrServed({ ...call, streamClaimedAt: null })
            : CallsRepo.isFinishedOrServed(call);
        return { state: finished ? 'finished' : 'retry' };
      },
      findCall: async (callSid) => {
        const call = await calls.get(callSid);
        if (!call) return undefined;
        const business = await businessOf(call.businessId);
        return {
          businessId: call.businessId,
          finished: CallsRepo.isFinishedOrServed(call),
          messageGreeting: business && messageGreeting(business.stored.plan, business.profile),
        };
      },
      // Once per call: only the request that hands the call to the AI records the event.
      recordAgentUnanswered: async ({ callSid, dialStatus, at }) => {
        if (await calls.setAnsweredBy(callSid, 'ai'))
          await calls.appendEvent(callSid, 'agent-unanswered', { dialStatus }, at);
      },
    },
    verifier: deps.verifier,
    assistTokens,
    streamTokens: deps.streamTokens,
    publicUrl: config.publicUrl,
    assistStreamUrl: config.assist.streamUrl,
    mediaStreamUrl: streamUrl(config.publicUrl),
    metrics,
    log,
    acceptingCalls: deps.acceptingCalls,
  });

  const assistKeys = [config.assist.apiKey ?? deps.apiKey];
  const isAssistKey = (candidate: string) => assistKeys.some((k) => secretsEqual(candidate, k));
  registerAssistStreamRoute(server, {
    verifier: deps.verifier,
    publicUrl: config.publicUrl,
    streamUrl: config.assist.streamUrl,
    isAssistKey,
    tokens: assistTokens,
    claimAssist: async (c) => {
      const claim = await calls.claimAssist(c);
      return claim.ok ? { ok: true } : claim;
    },
    businessOfLiveCall: async (callSid) => {
      const owner = await calls.liveOwner(callSid);
      return owner
        ? { businessId: owner.businessId, source: owner.answeredBy === 'human' ? 'dial' : 'transfer' }
        : undefined;
    },
    startAssist: (s) => sessions.start(s),
    metrics,
    log,
    idleTimeoutMs: config.streamIdleTimeoutMs,
    startTimeoutMs: config.streamStartTimeoutMs,
  });

  const tickets = new FeedTickets({
    secret: deps.tokenSecret,
    ttlSeconds: config.assist.ticketTtlSeconds,
    shared: deps.onceKeys,
  });
  const callBusiness = (callSid: string) => calls.businessOf(asCallSid(callSid));
  const defaultBusinessId = async () => (await businesses.list())[0]?.id;
  registerAssistFeed(server, {
    bus,
    tickets,
    keys: assistKeys,
    allowedOrigins: config.assist.allowedOrigins,
    callBusiness,
    defaultBusinessId,
    liveCalls: async (businessId) => sessions.list(businessId),
    log,
    metrics,
  });
  registerAssistTickets(server, {
    tickets,
    access: deps.access,
    callBusiness,
    defaultBusinessId,
  });

  return {
    bus,
    sessions,
    summaries,
    onTransfer: config.assist.onTransfer
      ? {
          streamUrl: config.assist.streamUrl,
          token: (callSid, businessId) => assistTokens.issue({ callSid, businessId, source: 'transfer' }),
          statusCallbackUrl: `${config.publicUrl}/twilio/stream-status`,
        }
      : undefined,
    async close() {
      await sessions.close();
      await summaries.close();
    },
  };
}

/** PostCallSummaries' queue: a 'call-summary' job, delayed by the settle wait. */
function callSummaryJobs(jobs: Pick<JobQueue, 'add'>) {
  return {
    add: (callSid: CallSid, delayMs: number) => jobs.add('call-summary', { callSid }, { delayMs }),
  };
}
