import path from 'node:path';
import { z } from 'zod';

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

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  PUBLIC_URL: url(['http:', 'https:']).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
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
  /** How far ahead of real time agent audio is sent to Twilio (caps what a barge-in must clear). */
  PLAYOUT_LEAD_MS: z.coerce.number().int().min(20).max(2000).default(240),
});

export type Env = Record<string, string | undefined>;

export interface Config {
  port: number;
  host: string;
  /** Public origin Twilio reaches us at, without trailing slash (e.g. https://sb.example.com). */
  publicUrl: string;
  dataDir: string;
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  twilio: {
    accountSid: string | undefined;
    /** Undefined means: use the local token kept in DATA_DIR (embedded default). */
    authToken: string | undefined;
    verifySignatures: boolean;
  };
  apiKey: string | undefined;
  streamTokenSecret: string | undefined;
  streamTokenTtlSeconds: number;
  streamIdleTimeoutMs: number;
  playoutLeadMs: number;
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
    logLevel: e.LOG_LEVEL,
    twilio: {
      accountSid: e.TWILIO_ACCOUNT_SID,
      authToken: e.TWILIO_AUTH_TOKEN,
      verifySignatures: !e.SWITCHBOARD_INSECURE_SKIP_TWILIO_SIGNATURE,
    },
    apiKey: e.SWITCHBOARD_API_KEY,
    streamTokenSecret: e.STREAM_TOKEN_SECRET,
    streamTokenTtlSeconds: e.STREAM_TOKEN_TTL_SECONDS,
    streamIdleTimeoutMs: e.STREAM_IDLE_TIMEOUT_MS,
    playoutLeadMs: e.PLAYOUT_LEAD_MS,
  };
}

/** The media-stream URL exactly as our TwiML gives it (Twilio signs the upgrade over it). */
export function streamUrl(publicUrl: string, pathname = '/twilio/stream'): string {
  const u = new URL(publicUrl);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.pathname = pathname;
  return u.toString();
}
