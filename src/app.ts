import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { streamUrl } from './config.js';
import { registerBusinessApi } from './admin/business-api.js';
import { registerCallsApi } from './admin/calls-api.js';
import { registerDashboardRoutes } from './admin/dashboard-routes.js';
import { registerKbApi } from './admin/kb-api.js';
import { CallerVocabularies } from './app/vocabularies.js';
import { registerOutboxApi } from './admin/outbox-api.js';
import { registerReceptionistApi } from './admin/receptionist-api.js';
import { registerAuthApi } from './admin/auth-api.js';
import { registerLiveApi } from './admin/live-api.js';
import { registerEmergencyAckApi } from './admin/emergency-ack-api.js';
import { registerLeadExportApi } from './admin/lead-export-api.js';
import { registerRecordingsApi } from './admin/recordings-api.js';
import { registerAnalyticsApi } from './admin/analytics-api.js';
import { registerTestEmailApi } from './admin/test-email-api.js';
import { registerMonitoringApi } from './admin/monitoring-api.js';
import { registerUsersApi } from './admin/users-api.js';
import { registerPlansApi } from './admin/plans-api.js';
import { Accounts, SessionTokens } from './auth/index.js';
import { registerAccess, type Access } from './http/access.js';
import type { Brain } from './agent/index.js';
import { ASSIST_VOCABULARY, wireAssist } from './app/assist.js';
import { brainFactory, callToolsFactory } from './app/brain.js';
import { keepCallsAlive } from './app/call-heartbeat.js';
import { voiceWebhookPorts } from './app/call-records.js';
import { wireBrowserCalls, wireChannels } from './app/channels.js';
import { registerPhoneMenuApi } from './admin/phone-menu-api.js';
import { createHttpServer } from './app/http-server.js';
import { registerPostCallJobs, wireJobs, wireRecordingFiles } from './app/jobs.js';
import { createNotifications } from './app/notifications.js';
import { profileFromStored } from './business/index.js';
import type { ConnectionGuard } from './http/connection-limits.js';
import { registerHealthRoutes, type HealthSources } from './http/health.js';
import { createLogger, type Logger } from './http/logger.js';
import { Metrics } from './http/metrics.js';
import { KnowledgeBase, KnowledgeRepo } from './knowledge/index.js';
import { loadOrCreateLocalSecrets } from './local-secrets.js';
import { resolveNodeId } from './node-id.js';
import { OutboxRepo } from './notify/index.js';
import { buildProviders } from './providers/index.js';
import type { SpeechToText } from './providers/stt/index.js';
import type { TextToSpeech } from './providers/tts/index.js';
import type { EventBus } from './store/bus/index.js';
import { wireRedis } from './app/redis.js';
import { MemoryRateCounter, RedisRateCounter } from './store/rate/index.js';
import { tapPublished, trackLiveSessions } from './app/live-sessions.js';
import { assistEventSchema } from './assist/index.js';
import {
  AnalyticsRepo,
  BusinessesRepo,
  CallsRepo,
  UsersRepo,
  openDatabase,
  preparePrivateDataDir,
  seedDemoBusiness,
  type Database,
} from './store/index.js';
import {
  acceptAllSignatures,
  createCallController,
  registerAlertRoutes,
  registerMediaStreamRoutes,
  registerMessageRoute,
  registerVoiceWebhooks,
  StreamTokens,
  twilioSignatureVerifier,
} from './telephony/twilio/index.js';
import { callEventSchema, LiveCalls, type CallEvent } from './voice/index.js';

/**
 * The one place that wires Switchboard together: configuration in, a ready server out.
 * Nothing else constructs stores, providers or routes.
 */
export interface App {
  readonly server: FastifyInstance;
  readonly config: Config;
  readonly log: Logger;
  readonly database: Database;
  /** The Twilio auth token requests are checked against (configured or local). */
  readonly twilioAuthToken: string;
  readonly apiKey: string;
  /** Users: adding them and signing them in. */
  readonly accounts: Accounts;
  /** Who may call which route (API key, session token, dashboard cookie). */
  readonly access: Access;
  /** Open connections by client address; closes slow HTTP clients on shutdown. */
  readonly connections: ConnectionGuard;
  /** This node's identity on the calls it serves (NODE_ID or DATA_DIR/node-id). */
  readonly nodeId: string;
  /** Every call's events, by call and by business. */
  readonly bus: EventBus<CallEvent>;
  /** The calls live on this node, by CallSid. */
  readonly liveCalls: LiveCalls;
  listen(): Promise<string>;
  /**
   * Graceful stop: new calls are told to call back, live calls may finish for `graceMs`
   * (SHUTDOWN_GRACE_MS), then each is ended with a short goodbye and its end written; then close().
   */
  shutdown(opts?: { graceMs?: number }): Promise<void>;
  close(): Promise<void>;
}

export interface AppOverrides {
  logger?: Logger;
  tts?: TextToSpeech;
  /** Speech recognition; null runs without listening (the agent only speaks). */
  stt?: SpeechToText | null;
  brain?: Brain;
}

export async function createApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const log = overrides.logger ?? createLogger({ level: config.logLevel });
  // Owner-only DATA_DIR (0700/0600) whatever the umask; looser leftovers tightened with a warning.
  preparePrivateDataDir(config.dataDir, log);
  const local = loadOrCreateLocalSecrets(config.dataDir);
  const twilioAuthToken = config.twilio.authToken ?? local.twilioAuthToken;
  const apiKey = config.apiKey ?? local.apiKey;
  const tokenSecret = config.streamTokenSecret ?? local.streamTokenSecret;
  const tokens = new StreamTokens(tokenSecret, config.streamTokenTtlSeconds);
  const verifier = config.twilio.verifySignatures
    ? twilioSignatureVerifier(twilioAuthToken)
    : acceptAllSignatures;
  if (!config.twilio.verifySignatures) {
    log.warn(
      'SWITCHBOARD_INSECURE_SKIP_TWILIO_SIGNATURE is on: Twilio requests are NOT verified. Development only.',
    );
  }

  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    logger: log,
  });
  const businesses = new BusinessesRepo(database.db);
  const calls = new CallsRepo(database.db);
  const nodeId = resolveNodeId({ configured: config.nodeId, dataDir: config.dataDir });
  // Calls this node was serving when it last stopped without writing their end (a crash) are over.
  const abandoned = await calls.closeAbandoned(nodeId, 'node-restarted');
  if (abandoned.length > 0)
    log.warn(
      { nodeId, calls: abandoned.map((c) => c.callSid) },
      'closed calls left open by a crash as failed',
    );
  // Call events, live sessions and single-use keys: shared through Redis (REDIS_URL), or in-process.
  const redis = wireRedis({ config, log, nodeId });
  const { seeded } = await seedDemoBusiness(database.db, log);
  // Speech, VAD, LLM and embeddings as configured (STT_PROVIDERS, TTS_PROVIDERS, ...), or a test's.
  const providers = await buildProviders(config, { log, overrides });
  const { vad } = providers;
  const metrics = new Metrics();

  // Post-call work: BullMQ on REDIS_URL (any node runs it), else this process (JOB_CONCURRENCY).
  const jobs = wireJobs({ config, log, nodeId });
  const notifications = createNotifications({
    config,
    db: database.db,
    log,
    metrics,
    nodeId,
    jobs: jobs.queue,
  });
  const { rest, escalations } = notifications;
  const background = new AbortController();
  const backgroundRuns = [
    ...notifications.run(background.signal),
    keepCallsAlive(calls, nodeId, log, background.signal),
  ];

  // Knowledge: documents and FAQ, searched by full text and vectors together.
  const embedder = providers.embedder;
  const knowledge = new KnowledgeBase(
    { repo: new KnowledgeRepo(database.db), embedder },
    { searchTimeoutMs: config.kbSearchTimeoutMs },
  );
  // Documents a crash left half-indexed were never answered as added: remove them.
  const interrupted = await knowledge.removeInterrupted(database.kind === 'pglite' ? 0 : 120_000);
  if (interrupted > 0) log.warn({ documents: interrupted }, 'removed half-indexed knowledge documents');
  if (seeded) {
    // The demo's FAQ answers from the first call on.
    for (const b of await businesses.list()) await knowledge.syncFaq(b.id, profileFromStored(b).profile.faq);
  }
  // Each business's own words in the offline recognizer's open model, kept up to date.
  const vocabularies = new CallerVocabularies({
    recognizers: providers.sttChain,
    businesses,
    knowledge,
    log,
    // Agent assist hears customers talking to people: their complaints and prices too.
    variants: [ASSIST_VOCABULARY],
  });
  await vocabularies.loadAll();
  const makeBrain = brainFactory({
    config,
    db: database.db,
    notifier: notifications.notifier,
    knowledge,
    chatModel: providers.llm,
    log,
  });
  const brainFor = overrides.brain ? () => overrides.brain as Brain : makeBrain;
  let accepting = true;
  // Per-business outbound limits: every node counts together when Redis is there.
  const rateCounter = redis.connection
    ? new RedisRateCounter({ redis: redis.connection.client, prefix: 'switchboard:rate:', log })
    : new MemoryRateCounter();
  const { server, connections } = await createHttpServer({
    config,
    log,
    metrics,
    ...(redis.connection ? { redis: redis.connection.client } : {}),
  });
  const users = new UsersRepo(database.db);
  const accounts = new Accounts(users, businesses);
  const access = await registerAccess(server, {
    apiKey,
    users,
    sessions: new SessionTokens(config.auth.jwtSecret ?? local.jwtSecret, config.auth.sessionTtlSeconds),
    secureCookies: config.publicUrl.startsWith('https:'),
  });
  await registerAuthApi(server, {
    access,
    accounts,
    users,
    loginAttemptsPerMinute: config.auth.loginAttemptsPerMinute,
  });
  registerUsersApi(server, { access, accounts, users });
  registerPlansApi(server, { access });
  const assist = wireAssist({
    server,
    config,
    database,
    calls,
    businesses,
    knowledge,
    stt: providers.sttChain,
    vad,
    chatModel: providers.llm,
    verifier,
    streamTokens: tokens,
    tokenSecret,
    apiKey,
    access,
    metrics,
    log,
    acceptingCalls: () => accepting,
    bus: redis.callBus(assistEventSchema, {
      name: 'assist',
      onSubscriberError: (err, e) => log.warn({ err, event: e.type }, 'an assist event subscriber failed'),
    }),
    onceKeys: redis.onceKeys,
    jobs: jobs.queue,
  });
  registerPostCallJobs(jobs, { summaries: assist.summaries, dispatcher: notifications.dispatcher });
  // A call's recording file is written by a job of this node, off the call's end.
  const recordings = wireRecordingFiles(jobs, {
    dataDir: config.dataDir,
    recordingsDir: path.join(config.dataDir, 'recordings'),
    calls,
    log,
  });
  // Calls that ended while this node was down, or before their summary was written.
  void assist.summaries
    .catchUp()
    .catch((err: unknown) => log.warn({ err }, 'after-call summaries: catching up failed'));
  // Every AI-answered call's summary is written once its end is.
  const liveCalls = new LiveCalls({ onEnded: (c) => assist.summaries.enqueue(c.callSid) });
  // This node's calls are kept in the deployment's live sessions as their events are published.
  const liveSessionTracker = trackLiveSessions({ store: redis.liveSessions, nodeId, log });
  const bus = tapPublished(
    redis.callBus(callEventSchema, {
      name: 'call',
      onSubscriberError: (err, e) => log.warn({ err, event: e.type }, 'a call event subscriber failed'),
    }),
    liveSessionTracker.onCallEvent,
  );

  // One view of this node's health: the public probe, and PRO owners' monitoring.
  const health: HealthSources = {
    metrics,
    startedAt: new Date(),
    activeSessions: () => liveCalls.size,
    totalActiveSessions: () => redis.liveSessions.count(),
    redis: () => redis.health(),
    draining: () => !accepting,
    watch: {
      webSocketPingIntervalMs: config.production.webSocketPingIntervalMs,
      maxMemoryUsageMb: config.production.maxMemoryUsageMb,
      memoryMonitoring: config.production.memoryMonitoring,
    },
    log,
    dependencies: async () => {
      try {
        // Never retried: a probe must hear at once that the database is down.
        await database.ping();
        return {
          database: { status: database.kind === 'pglite' ? 'embedded' : 'up', detail: database.kind },
          ...providers.health(),
        };
      } catch (err) {
        // /health is public: the reason goes to the log, not to the answer.
        log.warn({ err }, 'health: database check failed');
        return { database: { status: 'down', detail: 'database check failed' }, ...providers.health() };
      }
    },
  };
  const nodeHealth = registerHealthRoutes(server, health);
  // MAX_CONCURRENT_CALLS: checked at the voice webhook and again at stream start.
  const capacity = { live: () => liveCalls.size, max: config.production.maxConcurrentCalls };

  // The store-backed tools of one call: the voice agent's, and a message-taking call's.
  const toolsFor = callToolsFactory({ db: database.db, notifier: notifications.notifier, knowledge });
  // Chat widget, outbound calls, live sessions, Slack: the channels beside the media stream.
  const channels = await wireChannels({
    server,
    config,
    database,
    calls,
    businesses,
    access,
    rest,
    brainFor,
    tokenSecret,
    notifier: notifications.notifier,
    verifier,
    liveSessions: redis.liveSessions,
    rateCounter,
    metrics,
    log,
  });
  const voicePorts = voiceWebhookPorts(calls, businesses, (sid) =>
    channels
      .callEnded(sid)
      .catch((err: unknown) =>
        log.warn({ err, callSid: sid }, "could not end a finished call's conversation"),
      ),
  );
  registerVoiceWebhooks(server, {
    verifier,
    tokens,
    metrics,
    log,
    publicUrl: config.publicUrl,
    streamUrl: streamUrl(config.publicUrl),
    acceptingCalls: () => accepting,
    capacity,
    ports: voicePorts,
    // Calls without a media stream (turned off, or nothing to hear with) run on <Record> turns.
    recordReply: {
      conversations: channels.conversations,
      getCall: (sid) => calls.get(sid),
      getBusiness: (id) => businesses.getById(id),
      recognizers: () => providers.sttChain,
      // No recognizer loaded: nothing could hear a stream. A test's `stt: null` asks for a stream
      // that only speaks, which is not that.
      canListen: () => overrides.stt === null || providers.sttChain.length > 0,
      recording: {
        baseUrl: config.twilioRest.baseUrl,
        accountSid: config.twilio.accountSid ?? '',
        authToken: twilioAuthToken,
      },
      tmpDir: path.join(config.dataDir, 'tmp'),
      toolsFor,
    },
  });
  registerPhoneMenuApi(server, { access, db: database.db });
  // Plans without the voice agent: the call is greeted and a message taken (POST /twilio/message).
  registerMessageRoute(server, {
    findBusinessByNumber: voicePorts.findBusinessByNumber,
    calls,
    toolsFor,
    verifier,
    publicUrl: config.publicUrl,
    metrics,
    log,
  });

  const { startCall } = createCallController({
    calls,
    businesses,
    brainFor,
    tts: providers.ttsChain,
    stt: providers.sttChain,
    providerStallMs: config.providerStallMs,
    vad,
    ...(rest
      ? { updateCallTwiml: async (callSid, twiml) => void (await rest.updateCall(callSid, { twiml })) }
      : {}),
    bus,
    liveCalls,
    ...(assist.onTransfer ? { assistOnTransfer: assist.onTransfer } : {}),
    metrics,
    log,
    dataDir: config.dataDir,
    recordingsDir: path.join(config.dataDir, 'recordings'),
    saveRecording: recordings.saveRecording,
    playoutLeadMs: config.playoutLeadMs,
    voiceMode: config.voiceMode,
    realtime: providers.realtime,
    toolsFor,
    capacity,
  });

  registerMediaStreamRoutes(server, {
    verifier,
    publicUrl: config.publicUrl,
    tokens,
    metrics,
    log,
    idleTimeoutMs: config.streamIdleTimeoutMs,
    startTimeoutMs: config.streamStartTimeoutMs,
    claimCall: async (c) => {
      const claim = await calls.claimStream({ ...c, nodeId });
      // The brain's caller is the other party: who called us, or whom we called.
      if (!claim.ok) return claim;
      // A chat row never has a stream; every other channel is a voice line.
      return {
        ok: true,
        from: claim.partyNumber,
        ...(claim.channel !== 'chat' ? { channel: claim.channel } : {}),
      };
    },
    startCall,
  });
  // Browser calls: rooms, their media socket into the same pipeline, the call page.
  await wireBrowserCalls({
    server,
    config,
    database,
    calls,
    access,
    tokenSecret,
    nodeId,
    startCall,
    bus,
    metrics,
    log,
    acceptingCalls: () => accepting,
  });

  registerCallsApi(server, { access, calls });
  registerOutboxApi(server, { access, outbox: new OutboxRepo(database.db) });
  registerKbApi(server, {
    access,
    kb: knowledge,
    businesses,
    onChanged: (id) => vocabularies.changed(id),
  });
  registerBusinessApi(server, {
    access,
    db: database.db,
    onProfileChanged: async (id, p) => {
      await knowledge.syncFaq(id, p.faq);
      vocabularies.changed(id);
    },
  });
  registerReceptionistApi(server, { access, db: database.db });
  registerLeadExportApi(server, { access, db: database.db });
  registerEmergencyAckApi(server, { access, db: database.db, escalations });
  registerRecordingsApi(server, { access, db: database.db, dataDir: config.dataDir });
  registerLiveApi(server, { access, db: database.db, bus, log });
  registerAnalyticsApi(server, { access, db: database.db, analytics: new AnalyticsRepo(database.db) });
  registerTestEmailApi(server, { access, db: database.db, notifier: notifications.notifier });
  registerMonitoringApi(server, {
    access,
    db: database.db,
    sources: {
      node: nodeHealth,
      liveCalls: (businessId) => liveCalls.list().filter((c) => c.businessId === businessId),
    },
  });
  registerDashboardRoutes(server);
  registerAlertRoutes(server, { ports: escalations, verifier, publicUrl: config.publicUrl, log, metrics });

  let closed = false;
  const app: App = {
    server,
    config,
    log,
    database,
    twilioAuthToken,
    apiKey,
    accounts,
    access,
    nodeId,
    connections,
    bus,
    liveCalls,
    async listen() {
      return server.listen({ port: config.port, host: config.host });
    },
    async shutdown(opts = {}) {
      const graceMs = opts.graceMs ?? config.shutdownGraceMs;
      accepting = false;
      log.info({ liveCalls: liveCalls.size, graceMs }, 'shutting down: no new calls; live calls may finish');
      await liveCalls.drain(graceMs, (live) =>
        log.info({ liveCalls: live }, 'shutdown grace over: ending live calls with a goodbye'),
      );
      await app.close();
    },
    async close() {
      if (closed) return;
      closed = true;
      accepting = false;
      await server.close();
      // Streams closed by server.close() end asynchronously: their writes go before the database.
      await liveCalls.settled();
      await channels.close();
      // Recordings still held are written; running jobs finish (bounded) before what they use closes.
      await recordings.files.close();
      await jobs.close();
      await assist.close();
      // The buses, then the live sessions (their last writes), then Redis.
      await redis.close();
      await vocabularies.close();
      background.abort();
      await Promise.all(backgroundRuns);
      await providers.close();
      await database.close();
    },
  };
  return app;
}
