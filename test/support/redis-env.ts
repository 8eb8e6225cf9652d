import { randomBytes } from 'node:crypto';
import type { Logger } from '../../src/shared/index.js';

/**
 * What the Redis tests share: the server to test against (TEST_REDIS_URL; suites skip with this
 * reason when it is unset), a key prefix of their own (the shared Redis serves other suites at the
 * same time: never FLUSHALL it) and a logger that keeps what it was told.
 */
export const testRedisUrl = process.env.TEST_REDIS_URL;

export const redisSkipReason = testRedisUrl
  ? undefined
  : 'TEST_REDIS_URL is unset; run `export TEST_REDIS_URL=$(scripts/ensure-redis.sh)` to test against Redis';

/** A prefix no other test uses, e.g. `test:3f9a…:`. */
export function uniquePrefix(label = 'test'): string {
  return `${label}:${randomBytes(6).toString('hex')}:`;
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: object;
  msg?: string;
}

/** A Logger that records every line (to check what was logged, and what never was). */
export function recordingLogger(): Logger & { lines: LogLine[]; text(): string } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (obj: object, msg?: string): void =>
      void lines.push({ level, obj, ...(msg !== undefined ? { msg } : {}) });
  const text = () => JSON.stringify(lines);
  return { lines, text, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
