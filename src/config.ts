import path from 'node:path';
import { z } from 'zod';
import {
  STT_PROVIDER_NAMES,
  TTS_PROVIDER_NAMES,
  type SttProviderName,
  type TtsProviderName,
} from './providers/index.js';
import type { DeepgramSettings, ElevenLabsSettings, OpenAiSettings } from './providers/index.js';

/**
 * Every setting Switchboard reads, parsed and checked once at start. Nothing else reads
 * process.env: the rest of the code receives this typed Config.
 */

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const url = (protocols: string[]) =>
  z
    .string()
    .url()
    .refine((u) => protocols.includes(new URL(u).protocol), {
      message: `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`,
    });

/** A comma-separated list of provider names, in order of preference; only known names pass. */
const providerList = <N extends string>(known: readonly N[], fallback: N) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      const names = v
        .split(',')
        .map((n) => n.trim().toLowerCase())
        .filter(Boolean);
      const unknown = names.filter((n) => !known.includes(n as N));
      if (names.length === 0 || unknown.length > 0) {
        const what = names.length === 0 ? 'lists no provider' : `names unknown ${unknown.join(', ')}`;
        ctx.addIssue({ code: 'custom', message: `${what} (known: ${known.join(', ')})` });
        return z.NEVER;
      }
      return [...new Set(names)] as N[];
    });

export const EnvSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default('0.0.0.0'),
    PUBLIC_URL: url(['http:', 'https:']).optional(),
    DATA_DIR: z.string().min(1).default('./data'),
    DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
    REDIS_URL: url(['redis:', 'rediss:']).optional(),
    /** How often Redis is pinged for /health (ms); a failed ping marks it disconnected. */
    REDIS_HEALTH_CHECK_INTERVAL: z.coerce.number().int().min(1000).max(600_000).default(30_000),
    /** Heap above this (MB) marks the node degraded in /health and logs a warning. */
    MAX_MEMORY_USAGE_MB: z.coerce.number().int().min(64).max(1_048_576).default(1536),
    /** Watch the heap against MAX_MEMORY_USAGE_MB every 30 s. */
    ENABLE_MEMORY_MONITORING: booleanFlag.default(true),
    /** WebSocket pings to every open socket this often (ms); a socket silent through two is closed. */
    WEBSOCKET_PING_INTERVAL: z.coerce.number().int().min(1000).max(600_000).default(30_000),
    /** Calls this node serves at once; beyond it a caller hears a polite "all lines busy" (0: no limit). */
    MAX_CONCURRENT_CALLS: z.coerce.number().int().min(0).max(100_000).default(200),
    /** Post-call jobs this node runs at once (summaries, recordings, notifications); 0: it only queues them for other nodes. */
    JOB_CONCURRENCY: z.coerce.number().int().min(0).max(64).default(4),
    /**
     * Behind a load balancer: whose X-Forwarded-For to believe, so per-address limits and logs see
     * the client. `true` (any), or the balancers' addresses/CIDRs, comma-separated. Unset: none.
     */
    TRUST_PROXY: z
      .string()
      .trim()
      .regex(
        /^(true|false|[0-9A-Fa-f.:/]+(\s*,\s*[0-9A-Fa-f.:/]+)*)$/,
        'must be true, false, or comma-separated addresses/CIDRs',
      )
      .optional(),
    /** HTTP requests one client address may make per minute (0: no limit, e.g. behind a proxy). */
    HTTP_REQUESTS_PER_MINUTE_PER_IP: z.coerce.number().int().min(0).max(1_000_000).default(1200),
    /** WebSocket upgrades one client address may make per minute (0: no limit). */
    WS_UPGRADES_PER_MINUTE_PER_IP: z.coerce.number().int().min(0).max(1_000_000).default(600),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    TWILIO_ACCOUNT_SID: z
      .string()
      .regex(/^AC[0-9a-fA-F]{32}$/, 'must be AC followed by 32 hex digits')
      .optional(),
    TWILIO_AUTH_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    /** Development only: accept Twilio requests without checking X-Twilio-Signature. */
    SWITCHBOARD_INSECURE_SKIP_TWILIO_SIGNATURE: booleanFlag.default(false),
    SWITCHBOARD_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
    /** Secret that signs the per-call media-stream token; shared by all nodes in production. */
    STREAM_TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    STREAM_TOKEN_TTL_SECONDS: z.coerce.number().int().min(5).max(3600).default(120),
    /** A stream that sends nothing for this long is closed. */
    STREAM_IDLE_TIMEOUT_MS: z.coerce.number().int().min(1000).default(30_000),
    /** A stream upgraded but without a valid `start` this long is closed (it holds no call slot). */
    STREAM_START_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
    /** This node's identity on a shared database; unset: one kept in DATA_DIR/node-id. */
    NODE_ID: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, dots, dashes or underscores')
      .optional(),
    /** On SIGTERM, how long live calls may go on before they are ended with a goodbye. */
    SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(30_000),
    /** Open connections one client address may hold (0: no limit, e.g. behind a proxy that sets its own). */
    MAX_CONNECTIONS_PER_IP: z.coerce.number().int().min(0).max(100_000).default(64),
    /** A request's head must arrive within this; slow clients are cut (408). */
    HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1000).max(120_000).default(10_000),
    /** A request's head and body must arrive within this (uploads need it longer than the head). */
    HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
    /** An idle kept-alive connection is closed after this. */
    HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(72_000),
    /** How far ahead of real time agent audio is sent to Twilio (caps what a barge-in must clear). */
    PLAYOUT_LEAD_MS: z.coerce.number().int().min(20).max(2000).default(240),
    /** Twilio REST (SMS, alert calls, transfers); the local test stand-in in tests. */
    TWILIO_API_BASE_URL: url(['http:', 'https:']).default('https://api.twilio.com'),
    TWILIO_FROM_NUMBER: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number like +15005550006')
      .optional(),
    TWILIO_WHATSAPP_FROM: z
      .string()
      .regex(/^whatsapp:\+[1-9]\d{6,14}$/, 'must look like whatsapp:+15005550006')
      .optional(),
    /** The seed's name for the WhatsApp sender; `whatsapp:+E164` or `+E164`. */
    TWILIO_WHATSAPP_NUMBER: z
      .string()
      .regex(/^(whatsapp:)?\+[1-9]\d{6,14}$/, 'must look like whatsapp:+15005550006 or +15005550006')
      .optional(),
    /** A chat or WhatsApp conversation with no message for this long is closed (a new one starts). */
    CONVERSATION_IDLE_MINUTES: z.coerce
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60)
      .default(30),
    /** Calls one business may place per minute (POST /phone/call, /whatsapp/call, Slack's /call). */
    OUTBOUND_CALLS_PER_MINUTE: z.coerce.number().int().min(1).max(1000).default(10),
    /** Messages one business may send per minute through the API (POST /whatsapp/send). */
    OUTBOUND_MESSAGES_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(60),
    /** Checks Slack's signature on the /call slash command (POST /slack/commands); unset: no command. */
    SLACK_SIGNING_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    /** LiveKit for browser rooms: /room/join then gives LiveKit access tokens. All three or none. */
    LIVEKIT_URL: url(['ws:', 'wss:', 'http:', 'https:']).optional(),
    LIVEKIT_API_KEY: z.string().min(3).optional(),
    LIVEKIT_API_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    /** Room joins allowed per client address per minute (POST /room/join is public). */
    ROOM_JOINS_PER_MINUTE: z.coerce.number().int().min(1).max(1000).default(20),
    /** `local`: notifications stay in the outbox (shown, never sent); `live`: sent through Twilio/SMTP/Slack. */
    NOTIFY_DELIVERY: z.enum(['local', 'live']).default('local'),
    SMTP_URL: url(['smtp:', 'smtps:']).optional(),
    /** Email through SendGrid's SMTP relay when SMTP_URL is not given (seed name). */
    SENDGRID_API_KEY: z.string().min(10, 'must be at least 10 characters').optional(),
    NOTIFY_MAIL_FROM: z.string().min(3).default('Switchboard <switchboard@localhost>'),
    /** The sender of every email (seed name); wins over NOTIFY_MAIL_FROM. */
    FROM_EMAIL: z.string().min(3).optional(),
    /** Signs dashboard and API session tokens; shared by all nodes. Unset: one kept in DATA_DIR. */
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    /** How long a sign-in lasts. */
    SESSION_TTL_HOURS: z.coerce
      .number()
      .min(0.1)
      .max(24 * 90)
      .default(12),
    /** Sign-in attempts allowed per client address per minute (and per email, separately). */
    LOGIN_ATTEMPTS_PER_MINUTE: z.coerce.number().int().min(1).max(1000).default(10),
    NOTIFY_POLL_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
    /** OpenAI-compatible chat endpoint (with /v1) for the LLM brain; unset: the offline rules brain. */
    LLM_BASE_URL: url(['http:', 'https:']).optional(),
    LLM_API_KEY: z.string().min(1).optional(),
    LLM_MODEL: z.string().min(1).optional(),
    LLM_FIRST_TOKEN_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(1500),
    LLM_TIMEOUT_MS: z.coerce.number().int().min(1000).max(300_000).default(30_000),
    LLM_MAX_ROUNDS: z.coerce.number().int().min(1).max(10).default(4),
    /** OpenAI-compatible embeddings endpoint; unset: the offline hashing embedder. */
    EMBEDDINGS_BASE_URL: url(['http:', 'https:']).optional(),
    EMBEDDINGS_API_KEY: z.string().min(1).optional(),
    EMBEDDINGS_MODEL: z.string().min(1).default('text-embedding-3-small'),
    EMBEDDINGS_DIMENSIONS: z.coerce.number().int().min(8).max(4096).default(384),
    /** Time budget of one knowledge search during a call; past it the caller is told the team will check. */
    KB_SEARCH_TIMEOUT_MS: z.coerce.number().int().min(20).max(10_000).default(300),
    /** Speech recognizers to try in order; the first that loads is used (none: calls are not heard). */
    STT_PROVIDERS: providerList(STT_PROVIDER_NAMES, 'pocketsphinx'),
    /** Speech synthesizers to try in order; the first that loads is used. */
    TTS_PROVIDERS: providerList(TTS_PROVIDER_NAMES, 'flite'),
    /** A cloud provider with no first result/audio within this is replaced for the rest of the call. */
    PROVIDER_STALL_MS: z.coerce.number().int().min(200).max(30_000).default(1500),
    /** `pipeline`: VAD, STT, brain, TTS. `realtime`: OpenAI speech to speech (a business may override it). */
    VOICE_MODE: z.enum(['pipeline', 'realtime']).default('pipeline'),
    OPENAI_API_KEY: z.string().min(1).optional(),
    OPENAI_BASE_URL: url(['http:', 'https:']).default('https://api.openai.com/v1'),
    OPENAI_REALTIME_MODEL: z.string().min(1).default('gpt-realtime'),
    OPENAI_REALTIME_VOICE: z.string().min(1).default('marin'),
    DEEPGRAM_API_KEY: z.string().min(1).optional(),
    DEEPGRAM_BASE_URL: url(['http:', 'https:']).default('https://api.deepgram.com'),
    DEEPGRAM_STT_MODEL: z.string().min(1).default('nova-3'),
    DEEPGRAM_TTS_MODEL: z.string().min(1).default('aura-2-thalia-en'),
    ELEVENLABS_API_KEY: z.string().min(1).optional(),
    ELEVENLABS_BASE_URL: url(['http:', 'https:']).default('https://api.elevenlabs.io'),
    ELEVENLABS_VOICE_ID: z
      .string()
      .regex(/^[A-Za-z0-9]{8,64}$/, 'must be an ElevenLabs voice id')
      .optional(),
    /** Flash: ElevenLabs' lowest-latency model, made for live conversation. */
    ELEVENLABS_MODEL_ID: z.string().min(1).default('eleven_flash_v2_5'),
    /** Agents' feed key for servers (Authorization: Bearer); unset: the admin API key serves. */
    ASSIST_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
    /** Where Twilio sends the two-track assist stream (seed name); unset: this server's /assist/stream. */
    ASSIST_WS: url(['ws:', 'wss:']).optional(),
    /** Browser origins allowed to open the agents' feed, comma-separated; unset: PUBLIC_URL's origin. */
    ASSIST_ALLOWED_ORIGINS: z
      .string()
      .transform((v, ctx) => {
        const origins: string[] = [];
        for (const o of v
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)) {
          try {
            const u = new URL(o);
            if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
            origins.push(u.origin);
          } catch {
            ctx.addIssue({ code: 'custom', message: `"${o}" is not an http(s) origin` });
            return z.NEVER;
          }
        }
        return origins;
      })
      .optional(),
    /** How long a browser's feed ticket may wait before it is used (it works once). */
    ASSIST_TICKET_TTL_SECONDS: z.coerce.number().int().min(5).max(600).default(60),
    /** At most one new suggestion card this often per call, high priority excepted. */
    ASSIST_CARD_INTERVAL_MS: z.coerce.number().int().min(0).max(60_000).default(4000),
    /** An AI-answered call moved to a person is listened to by assist from then on. */
    ASSIST_ON_TRANSFER: booleanFlag.default(true),
  })
  .superRefine((e, ctx) => {
    // A cloud provider asked for without its key is a mistake to stop on, not to discover on a call.
    const needs = (when: boolean, key: keyof typeof e, because: string) => {
      if (when && !e[key]) ctx.addIssue({ code: 'custom', path: [key], message: `is required ${because}` });
    };
    needs(e.VOICE_MODE === 'realtime', 'OPENAI_API_KEY', 'when VOICE_MODE is realtime');
    needs(e.STT_PROVIDERS.includes('deepgram'), 'DEEPGRAM_API_KEY', 'when STT_PROVIDERS lists deepgram');
    needs(e.TTS_PROVIDERS.includes('deepgram'), 'DEEPGRAM_API_KEY', 'when TTS_PROVIDERS lists deepgram');
    needs(
      e.TTS_PROVIDERS.includes('elevenlabs'),
      'ELEVENLABS_API_KEY',
      'when TTS_PROVIDERS lists elevenlabs',
    );
    needs(
      e.TTS_PROVIDERS.includes('elevenlabs'),
      'ELEVENLABS_VOICE_ID',
      'when TTS_PROVIDERS lists elevenlabs',
    );
    const livekit = [e.LIVEKIT_URL, e.LIVEKIT_API_KEY, e.LIVEKIT_API_SECRET].filter(Boolean).length;
    if (livekit !== 0 && livekit !== 3)
      ctx.addIssue({
        code: 'custom',
        path: ['LIVEKIT_URL'],
        message: 'LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET go together: set all three or none',
      });
    if (
      e.TWILIO_WHATSAPP_FROM &&
      e.TWILIO_WHATSAPP_NUMBER &&
      whatsappAddress(e.TWILIO_WHATSAPP_NUMBER) !== e.TWILIO_WHATSAPP_FROM
    )
      ctx.addIssue({
        code: 'custom',
        path: ['TWILIO_WHATSAPP_NUMBER'],
        message: 'names another sender than TWILIO_WHATSAPP_FROM: set one of them',
      });
    if (e.LLM_BASE_URL && !e.LLM_MODEL)
      ctx.addIssue({ code: 'custom', path: ['LLM_MODEL'], message: 'is required when LLM_BASE_URL is set' });
    if (
      e.NOTIFY_DELIVERY === 'live' &&
      !(e.TWILIO_ACCOUNT_SID && e.TWILIO_AUTH_TOKEN) &&
      !e.SMTP_URL &&
      !e.SENDGRID_API_KEY
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['NOTIFY_DELIVERY'],
        message: 'live delivery needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, SMTP_URL or SENDGRID_API_KEY',
      });
    }
  });

export type Env = Record<string, string | undefined>;

/** A WhatsApp sender as Twilio's Messages API takes it: whatsapp:+E164. */
function whatsappAddress(v: string): string {
  return v.startsWith('whatsapp:') ? v : `whatsapp:${v}`;
}

/** SendGrid's SMTP relay: user "apikey", the API key as password, implicit TLS. */
function sendGridRelay(apiKey: string): string {
  return `smtps://apikey:${encodeURIComponent(apiKey)}@smtp.sendgrid.net:465`;
}

export interface Config {
  port: number;
  host: string;
  /** Public origin Twilio reaches us at, without trailing slash (e.g. https://sb.example.com). */
  publicUrl: string;
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  /** Several nodes: Redis (REDIS_URL) and how this node watches itself. */
  production: {
    redisHealthCheckIntervalMs: number;
    maxMemoryUsageMb: number;
    memoryMonitoring: boolean;
    webSocketPingIntervalMs: number;
    /** 0: no limit. */
    maxConcurrentCalls: number;
    /** 0: this node only queues post-call jobs. */
    jobConcurrency: number;
    /** Fastify's trustProxy: X-Forwarded-For from these is believed (false: none). */
    trustProxy: boolean | string[];
    /** Per client address per minute; 0: no limit. */
    httpRequestsPerMinutePerIp: number;
    wsUpgradesPerMinutePerIp: number;
  };
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  twilio: {
    accountSid: string | undefined;
    /** Undefined means: use the local token kept in DATA_DIR (embedded default). */
    authToken: string | undefined;
    verifySignatures: boolean;
  };
  apiKey: string | undefined;
  /** Accounts: session tokens and sign-in limits. */
  auth: {
    /** JWT_SECRET; undefined: the local one kept in DATA_DIR. */
    jwtSecret: string | undefined;
    sessionTtlSeconds: number;
    loginAttemptsPerMinute: number;
  };
  streamTokenSecret: string | undefined;
  streamTokenTtlSeconds: number;
  streamIdleTimeoutMs: number;
  streamStartTimeoutMs: number;
  /** Configured node id (NODE_ID); undefined: node-id.ts keeps one in DATA_DIR. */
  nodeId: string | undefined;
  shutdownGraceMs: number;
  playoutLeadMs: number;
  /** Connection limits and request deadlines (src/http/server-options.ts says why each). */
  http: {
    maxConnectionsPerIp: number;
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    keepAliveTimeoutMs: number;
  };
  /** `whatsappFrom`: TWILIO_WHATSAPP_FROM or TWILIO_WHATSAPP_NUMBER, as whatsapp:+E164. */
  twilioRest: { baseUrl: string; fromNumber: string | undefined; whatsappFrom: string | undefined };
  /** The channels beside the phone: chat widget, WhatsApp, browser rooms, outbound calls, Slack. */
  channels: {
    conversationIdleMs: number;
    outboundCallsPerMinute: number;
    outboundMessagesPerMinute: number;
    slackSigningSecret: string | undefined;
    livekit: { url: string; apiKey: string; apiSecret: string } | undefined;
    roomJoinsPerMinute: number;
  };
  notify: {
    delivery: 'local' | 'live';
    smtpUrl: string | undefined;
    mailFrom: string;
    pollIntervalMs: number;
  };
  /** Set when an LLM endpoint is configured. */
  llm:
    | {
        baseUrl: string;
        apiKey: string | undefined;
        model: string;
        firstTokenTimeoutMs: number;
        timeoutMs: number;
        maxRounds: number;
      }
    | undefined;
  embeddings: { baseUrl: string; apiKey: string | undefined; model: string; dimensions: number } | undefined;
  /** Budget of one knowledge search during a call (KB_SEARCH_TIMEOUT_MS). */
  kbSearchTimeoutMs: number;
  /** STT_PROVIDERS and TTS_PROVIDERS: known names, in order of preference, no repeats. */
  sttProviders: readonly SttProviderName[];
  ttsProviders: readonly TtsProviderName[];
  /** PROVIDER_STALL_MS: no first result or audio within this and a cloud provider is replaced. */
  providerStallMs: number;
  /** VOICE_MODE: the default for businesses that do not choose. */
  voiceMode: 'pipeline' | 'realtime';
  /** Set with OPENAI_API_KEY (Realtime; and the LLM brain unless LLM_BASE_URL says otherwise). */
  openai: OpenAiSettings | undefined;
  /** Set with DEEPGRAM_API_KEY. */
  deepgram: DeepgramSettings | undefined;
  /** Set with ELEVENLABS_API_KEY and ELEVENLABS_VOICE_ID. */
  elevenlabs: ElevenLabsSettings | undefined;
  /** Agent assist: where its stream goes, who may open the agents' feed, how cards are paced. */
  assist: {
    /** ASSIST_API_KEY; undefined: the admin API key opens the feed for servers. */
    apiKey: string | undefined;
    /** The assist stream URL our TwiML gives Twilio (ASSIST_WS, else this server's /assist/stream). */
    streamUrl: string;
    /** Origins a browser may open the feed from. */
    allowedOrigins: readonly string[];
    ticketTtlSeconds: number;
    cardIntervalMs: number;
    onTransfer: boolean;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Empty strings in the environment mean "not set", as shells and .env files produce them. */
function withoutEmpty(env: Env): Env {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
}

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const parsed = EnvSchema.safeParse(withoutEmpty(env));
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    dataDir: path.resolve(cwd, e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    production: {
      redisHealthCheckIntervalMs: e.REDIS_HEALTH_CHECK_INTERVAL,
      maxMemoryUsageMb: e.MAX_MEMORY_USAGE_MB,
      memoryMonitoring: e.ENABLE_MEMORY_MONITORING,
      webSocketPingIntervalMs: e.WEBSOCKET_PING_INTERVAL,
      maxConcurrentCalls: e.MAX_CONCURRENT_CALLS,
      jobConcurrency: e.JOB_CONCURRENCY,
      trustProxy: trustProxyOf(e.TRUST_PROXY),
      httpRequestsPerMinutePerIp: e.HTTP_REQUESTS_PER_MINUTE_PER_IP,
      wsUpgradesPerMinutePerIp: e.WS_UPGRADES_PER_MINUTE_PER_IP,
    },
    logLevel: e.LOG_LEVEL,
    twilio: {
      accountSid: e.TWILIO_ACCOUNT_SID,
      authToken: e.TWILIO_AUTH_TOKEN,
      verifySignatures: !e.SWITCHBOARD_INSECURE_SKIP_TWILIO_SIGNATURE,
    },
    apiKey: e.SWITCHBOARD_API_KEY,
    auth: {
      jwtSecret: e.JWT_SECRET,
      sessionTtlSeconds: Math.round(e.SESSION_TTL_HOURS * 3600),
      loginAttemptsPerMinute: e.LOGIN_ATTEMPTS_PER_MINUTE,
    },
    streamTokenSecret: e.STREAM_TOKEN_SECRET,
    streamTokenTtlSeconds: e.STREAM_TOKEN_TTL_SECONDS,
    streamIdleTimeoutMs: e.STREAM_IDLE_TIMEOUT_MS,
    streamStartTimeoutMs: e.STREAM_START_TIMEOUT_MS,
    nodeId: e.NODE_ID,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    playoutLeadMs: e.PLAYOUT_LEAD_MS,
    http: {
      maxConnectionsPerIp: e.MAX_CONNECTIONS_PER_IP,
      headersTimeoutMs: Math.min(e.HTTP_HEADERS_TIMEOUT_MS, e.HTTP_REQUEST_TIMEOUT_MS),
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    },
    twilioRest: {
      baseUrl: e.TWILIO_API_BASE_URL,
      fromNumber: e.TWILIO_FROM_NUMBER,
      whatsappFrom:
        e.TWILIO_WHATSAPP_FROM ??
        (e.TWILIO_WHATSAPP_NUMBER ? whatsappAddress(e.TWILIO_WHATSAPP_NUMBER) : undefined),
    },
    channels: {
      conversationIdleMs: e.CONVERSATION_IDLE_MINUTES * 60_000,
      outboundCallsPerMinute: e.OUTBOUND_CALLS_PER_MINUTE,
      outboundMessagesPerMinute: e.OUTBOUND_MESSAGES_PER_MINUTE,
      slackSigningSecret: e.SLACK_SIGNING_SECRET,
      livekit:
        e.LIVEKIT_URL && e.LIVEKIT_API_KEY && e.LIVEKIT_API_SECRET
          ? { url: e.LIVEKIT_URL, apiKey: e.LIVEKIT_API_KEY, apiSecret: e.LIVEKIT_API_SECRET }
          : undefined,
      roomJoinsPerMinute: e.ROOM_JOINS_PER_MINUTE,
    },
    notify: {
      delivery: e.NOTIFY_DELIVERY,
      smtpUrl: e.SMTP_URL ?? (e.SENDGRID_API_KEY ? sendGridRelay(e.SENDGRID_API_KEY) : undefined),
      mailFrom: e.FROM_EMAIL ?? e.NOTIFY_MAIL_FROM,
      pollIntervalMs: e.NOTIFY_POLL_INTERVAL_MS,
    },
    llm: llmSettings(e),
    kbSearchTimeoutMs: e.KB_SEARCH_TIMEOUT_MS,
    sttProviders: e.STT_PROVIDERS,
    ttsProviders: e.TTS_PROVIDERS,
    providerStallMs: e.PROVIDER_STALL_MS,
    voiceMode: e.VOICE_MODE,
    openai: e.OPENAI_API_KEY
      ? {
          apiKey: e.OPENAI_API_KEY,
          baseUrl: e.OPENAI_BASE_URL.replace(/\/+$/, ''),
          realtimeModel: e.OPENAI_REALTIME_MODEL,
          realtimeVoice: e.OPENAI_REALTIME_VOICE,
        }
      : undefined,
    deepgram: e.DEEPGRAM_API_KEY
      ? {
          apiKey: e.DEEPGRAM_API_KEY,
          baseUrl: e.DEEPGRAM_BASE_URL.replace(/\/+$/, ''),
          sttModel: e.DEEPGRAM_STT_MODEL,
          ttsModel: e.DEEPGRAM_TTS_MODEL,
        }
      : undefined,
    elevenlabs:
      e.ELEVENLABS_API_KEY && e.ELEVENLABS_VOICE_ID
        ? {
            apiKey: e.ELEVENLABS_API_KEY,
            baseUrl: e.ELEVENLABS_BASE_URL.replace(/\/+$/, ''),
            voiceId: e.ELEVENLABS_VOICE_ID,
            modelId: e.ELEVENLABS_MODEL_ID,
          }
        : undefined,
    assist: {
      apiKey: e.ASSIST_API_KEY,
      streamUrl: e.ASSIST_WS ?? streamUrl(publicUrl, '/assist/stream'),
      allowedOrigins: e.ASSIST_ALLOWED_ORIGINS ?? [new URL(publicUrl).origin],
      ticketTtlSeconds: e.ASSIST_TICKET_TTL_SECONDS,
      cardIntervalMs: e.ASSIST_CARD_INTERVAL_MS,
      onTransfer: e.ASSIST_ON_TRANSFER,
    },
    embeddings: e.EMBEDDINGS_BASE_URL
      ? {
          baseUrl: e.EMBEDDINGS_BASE_URL,
          apiKey: e.EMBEDDINGS_API_KEY,
          model: e.EMBEDDINGS_MODEL,
          dimensions: e.EMBEDDINGS_DIMENSIONS,
        }
      : undefined,
  };
}

/** OpenAI's model when LLM_MODEL does not name one and OPENAI_API_KEY stands in for LLM_BASE_URL. */
const DEFAULT_OPENAI_CHAT_MODEL = 'gpt-4.1-mini';

/**
 * LLM_BASE_URL wins; without it, OPENAI_API_KEY makes the brain use OpenAI's chat endpoint at
 * OPENAI_BASE_URL (one key configures the whole cloud stack).
 */
function llmSettings(e: z.infer<typeof EnvSchema>): Config['llm'] {
  const limits = {
    firstTokenTimeoutMs: e.LLM_FIRST_TOKEN_TIMEOUT_MS,
    timeoutMs: e.LLM_TIMEOUT_MS,
    maxRounds: e.LLM_MAX_ROUNDS,
  };
  if (e.LLM_BASE_URL && e.LLM_MODEL)
    return { baseUrl: e.LLM_BASE_URL, apiKey: e.LLM_API_KEY, model: e.LLM_MODEL, ...limits };
  if (!e.LLM_BASE_URL && e.OPENAI_API_KEY)
    return {
      baseUrl: e.OPENAI_BASE_URL,
      apiKey: e.LLM_API_KEY ?? e.OPENAI_API_KEY,
      model: e.LLM_MODEL ?? DEFAULT_OPENAI_CHAT_MODEL,
      ...limits,
    };
  return undefined;
}

/** The media-stream URL exactly as our TwiML gives it (Twilio signs the upgrade over it). */
export function streamUrl(publicUrl: string, pathname = '/twilio/stream'): string {
  const u = new URL(publicUrl);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.pathname = pathname;
  return u.toString();
}

/** TRUST_PROXY as Fastify takes it: a boolean, or the addresses to believe. */
function trustProxyOf(raw: string | undefined): boolean | string[] {
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  return raw.split(',').map((a) => a.trim());
}
