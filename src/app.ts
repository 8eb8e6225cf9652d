import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import websocket from '@fastify/websocket';
import type { Config } from './config.js';
import { streamUrl } from './config.js';
import { registerCallsApi } from './admin/calls-api.js';
import { ConnectionGuard } from './http/connection-limits.js';
import { registerHttpEdge } from './http/edge.js';
import { registerApiDocs } from './http/openapi.js';
import { registerHealthRoutes } from './http/health.js';
import { httpServerOptions } from './http/server-options.js';
import { RequestLogController } from './http/request-log.js';
import { createLogger, type Logger } from './http/logger.js';
import { Metrics } from './http/metrics.js';
import { parseE164 } from './ids.js';
import { loadOrCreateLocalSecrets } from './local-secrets.js';
import { preparePrivateDataDir } from './store/index.js';
import { resolveNodeId } from './node-id.js';
import type { Brain } from './agent/index.js';
import { RulesBrain } from './agent/index.js';
import { LlmBrain } from './agent/index.js';
import { createStoreTools } from './agent/index.js';
import { registerBusinessApi } from './admin/business-api.js';
import { registerKbApi } from './admin/kb-api.js';
import { registerReceptionistApi } from './admin/receptionist-api.js';
import { profileFromStored } from './business/index.js';
import { KnowledgeBase, KnowledgeRepo } from './knowledge/index.js';
import { registerOutboxApi } from './admin/outbox-api.js';
import {
  AlertEscalations,
  buildChannels,
  DeliveryAlarms,
  Notifier,
  OutboxDispatcher,
  OutboxRepo,
} from './notify/index.js';
import { createCallController, type BrainRequest } from './telephony/twilio/index.js';
import type { SpeechToText } from './providers/stt/index.js';
import type { TextToSpeech } from './providers/tts/index.js';
import { buildProviders } from './providers/index.js';
import { BusinessesRepo, CallsRepo, openDatabase, seedDemoBusiness, type Database } from './store/index.js';
import {
  acceptAllSignatures,
  registerMediaStreamRoutes,
  registerVoiceWebhooks,
  registerAlertRoutes,
  StreamTokens,
  twilioNotificationChannels,
  TwilioRestClient,
  twilioSignatureVerifier,
} from './telephony/twilio/index.js';
import { InProcessBus, type EventBus } from './store/bus/index.js';
import { LiveCalls, type CallEvent } from './voice/index.js';

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

/** Every node refreshes its live calls' last_seen_at this often... */
const HEARTBEAT_MS = 10_000;
/** ...and a call whose node has been silent this long is taken for abandoned (its node is gone). */
const STALE_AFTER_MS = 90_000;

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
  const tokens = new StreamTokens(
    config.streamTokenSecret ?? local.streamTokenSecret,
    config.streamTokenTtlSeconds,
  );
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
  const { seeded } = await seedDemoBusiness(database.db, log);
  // Speech, VAD, LLM and embeddings as configured (STT_PROVIDERS, TTS_PROVIDERS, ...), or a test's.
  const providers = await buildProviders(config, { log, overrides });
  const { tts, vad, stt } = providers;
  const metrics = new Metrics();

  // Notifications: written to the outbox with their cause, delivered (or kept local) by the dispatcher.
  const rest =
    config.twilio.accountSid && config.twilio.authToken
      ? new TwilioRestClient({
          accountSid: config.twilio.accountSid,
          authToken: config.twilio.authToken,
          baseUrl: config.twilioRest.baseUrl,
        })
      : undefined;
  const { channels, localKinds } = buildChannels({
    dataDir: config.dataDir,
    delivery: config.notify.delivery,
    telephony:
      rest && config.twilioRest.fromNumber
        ? twilioNotificationChannels({
            client: rest,
            from: config.twilioRest.fromNumber,
            whatsappFrom: config.twilioRest.whatsappFrom,
            publicUrl: config.publicUrl,
          })
        : undefined,
    smtp: config.notify.smtpUrl ? { url: config.notify.smtpUrl, from: config.notify.mailFrom } : undefined,
    mailFrom: config.notify.mailFrom,
  });
  if (config.notify.delivery === 'live' && localKinds.length > 0) {
    log.warn(
      { kinds: localKinds },
      'live delivery: these notification kinds have no provider configured and stay local',
    );
  }
  const dispatcher = new OutboxDispatcher({
    db: database.db,
    channels,
    logger: log,
    // Stable across restarts: a restarted node takes back its own in-flight sends at once.
    nodeId,
    pollIntervalMs: config.notify.pollIntervalMs,
    onGivenUp: (row, why): Promise<void> => alarms.givenUp(row, why),
  });
  const escalations = new AlertEscalations({ db: database.db, logger: log, outbox: dispatcher });
  // An emergency notification given up: error log, metric, alarm on the emergency, next alert call.
  const alarms: DeliveryAlarms = new DeliveryAlarms({
    db: database.db,
    escalations,
    logger: log,
    onAlarm: (kind) => metrics.notificationAlarms.inc({ kind }),
  });
  const notifier = new Notifier({ db: database.db, outbox: dispatcher, escalations });
  const background = new AbortController();
  const backgroundRuns = [
    dispatcher.run(background.signal),
    escalations.run(background.signal),
    keepCallsAlive(calls, nodeId, log, background.signal),
  ];

  // The brain: rules offline; an OpenAI-compatible LLM leads when configured, rules as its fallback.
  const chatModel = providers.llm;
  const brainFor = ({ business, callSid, callerId, log: callLog, lifetime }: BrainRequest): Brain => {
    if (overrides.brain) return overrides.brain;
    const tools = createStoreTools(
      {
        db: database.db,
        notifier,
        searchKnowledge: (id, q, signal) => knowledge.search(id, q, 3, signal),
        logger: callLog,
      },
      { business, callSid, channel: 'phone', callerId },
    );
    const rules = new RulesBrain({ tools, lifetime, logger: log });
    if (!chatModel || !config.llm) return rules;
    return new LlmBrain({
      model: chatModel,
      fallback: rules,
      tools,
      lifetime,
      logger: log,
      firstTokenTimeoutMs: config.llm.firstTokenTimeoutMs,
      maxRounds: config.llm.maxRounds,
    });
  };

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
  const liveCalls = new LiveCalls();
  const bus = new InProcessBus<CallEvent>({
    onSubscriberError: (err, e) => log.warn({ err, event: e.type }, 'a call event subscriber failed'),
  });
  let accepting = true;

  const connections = new ConnectionGuard({
    maxPerIp: config.http.maxConnectionsPerIp,
    log,
    onRefused: () => metrics.refusedConnections.inc(),
  });
  const server = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // Deadlines for slow clients, the one error shape for client errors, request ids.
    ...httpServerOptions({ ...config.http, bodyLimitBytes: 1024 * 1024 }),
    // close() must not wait on idle keep-alive or slow clients: shutdown ends with the process.
    forceCloseConnections: true,
    // Health and metrics probes log their requests at debug.
    logController: new RequestLogController(),
  });
  // Per-address connection limit at accept, then error shape and input guard before any route.
  connections.attach(server.server);
  registerHttpEdge(server, connections);
  // Before any route: the OpenAPI document is built from the routes added after it.
  await registerApiDocs(server);
  await server.register(formbody);
  await server.register(websocket, { options: { maxPayload: 64 * 1024 } });

  registerHealthRoutes(server, {
    metrics,
    startedAt: new Date(),
    activeSessions: () => liveCalls.size,
    webSockets: () => ({ twilio: server.websocketServer?.clients.size ?? 0 }),
    dependencies: async () => {
      try {
        await database.db.execute('select 1');
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
  });

  registerVoiceWebhooks(server, {
    verifier,
    tokens,
    metrics,
    log,
    publicUrl: config.publicUrl,
    streamUrl: streamUrl(config.publicUrl),
    acceptingCalls: () => accepting,
    ports: {
      findBusinessByNumber: async (to) => {
        const number = parseE164(to);
        return number ? businesses.findByPhoneNumber(number) : undefined;
      },
      recordInboundCall: async (c) => {
        const { call, created } = await calls.create({
          callSid: c.callSid,
          businessId: c.businessId,
          from: c.from,
          to: c.to,
          direction: c.direction,
          channel: 'phone',
          status: c.status,
        });
        if (!created) return { state: CallsRepo.isFinishedOrServed(call) ? 'finished' : 'retry' };
        await calls.recordStatus({
          callSid: c.callSid,
          status: c.status,
          source: 'voice-webhook',
          occurredAt: new Date(),
        });
        return { state: 'new' };
      },
      recordStatus: async (s) => {
        const duration = Number(s.params['CallDuration']);
        const r = await calls.recordStatus({
          callSid: s.callSid,
          status: s.status,
          source: s.source,
          sequenceNumber: s.sequenceNumber ?? null,
          params: s.params,
          occurredAt: s.at,
          ...(Number.isFinite(duration) ? { durationSec: duration } : {}),
        });
        return r.outcome !== 'unknown-call';
      },
      recordStreamStatus: async (s) => {
        await calls.appendEvent(s.callSid, 'stream-status', {
          event: s.event,
          ...(s.error ? { error: s.error } : {}),
        });
      },
    },
  });

  const { startCall } = createCallController({
    calls,
    businesses,
    brainFor,
    tts,
    stt,
    vad,
    ...(rest
      ? { updateCallTwiml: async (callSid, twiml) => void (await rest.updateCall(callSid, { twiml })) }
      : {}),
    bus,
    liveCalls,
    metrics,
    log,
    dataDir: config.dataDir,
    recordingsDir: path.join(config.dataDir, 'recordings'),
    playoutLeadMs: config.playoutLeadMs,
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
      return claim.ok ? { ok: true, from: claim.fromNumber } : claim;
    },
    startCall,
  });

  registerCallsApi(server, { apiKey, calls });
  registerOutboxApi(server, { apiKey, outbox: new OutboxRepo(database.db) });
  registerKbApi(server, { apiKey, kb: knowledge, businesses });
  registerBusinessApi(server, {
    apiKey,
    db: database.db,
    onProfileChanged: async (id, p) => {
      await knowledge.syncFaq(id, p.faq);
    },
  });
  registerReceptionistApi(server, { apiKey, db: database.db });
  registerAlertRoutes(server, { ports: escalations, verifier, publicUrl: config.publicUrl, log, metrics });

  let closed = false;
  const app: App = {
    server,
    config,
    log,
    database,
    twilioAuthToken,
    apiKey,
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
      await bus.close();
      background.abort();
      await Promise.all(backgroundRuns);
      await providers.close();
      await database.close();
    },
  };
  return app;
}

/**
 * This node's liveness on its calls (last_seen_at), and the calls of nodes that vanished: closed
 * as failed once silent past STALE_AFTER_MS. Errors are logged; the loop goes on until aborted.
 */
async function keepCallsAlive(calls: CallsRepo, nodeId: string, log: Logger, signal: AbortSignal) {
  while (!signal.aborted) {
    try {
      await calls.heartbeat(nodeId);
      const lost = await calls.closeStale(nodeId, STALE_AFTER_MS, 'node-lost');
      if (lost.length > 0)
        log.warn(
          { calls: lost.map((c) => c.callSid), nodes: [...new Set(lost.map((c) => c.nodeId))] },
          'closed calls of a node that stopped answering as failed',
        );
    } catch (err) {
      if (!signal.aborted) log.error({ err }, 'call heartbeat failed');
    }
    await sleep(HEARTBEAT_MS, undefined, { signal }).catch(() => undefined);
  }
}
