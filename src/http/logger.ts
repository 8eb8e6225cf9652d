import pino from 'pino';
import type { Logger } from 'pino';
import pretty from 'pino-pretty';
import { safeLogArgs, safeLogObject, serializeError, serializeRequest } from './log-safety.js';

export type { Logger };

/**
 * Secrets and callers' personal data are redacted by path, so a careless `log.info({ req })`
 * cannot leak them; code must still never put them in messages.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-twilio-signature"]',
  'req.headers.cookie',
  'headers.authorization',
  '*.authToken',
  '*.apiKey',
  '*.token',
  '*.password',
  '*.From',
  '*.To',
  '*.Caller',
  '*.Called',
  '*.from',
  '*.to',
  '*.phone',
  '*.callerNumber',
  '*.text',
  '*.transcript',
];

/**
 * Lines for a person at a terminal: time, level, message and fields, colored. Formatted in the
 * process (no worker thread), after redaction, so nothing hidden from JSON shows here.
 */
export function prettyDestination(
  opts: { colorize?: boolean; destination?: NodeJS.WritableStream } = {},
): pino.DestinationStream {
  return pretty({
    colorize: opts.colorize ?? true,
    ...(opts.destination ? { destination: opts.destination } : {}),
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service',
    singleLine: true,
  });
}

/**
 * The one logger. JSON lines (for log collectors) unless stdout is a terminal, where they are
 * pretty-printed; a given `destination` is written as JSON.
 */
export function createLogger(opts: {
  level: string;
  destination?: pino.DestinationStream;
  pretty?: boolean;
}): Logger {
  const usePretty = opts.destination === undefined && (opts.pretty ?? process.stdout.isTTY === true);
  return pino(
    {
      level: opts.level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: { service: 'switchboard' },
      // Fastify takes these over its own: URLs without query strings, errors without bound values.
      serializers: { req: serializeRequest, err: serializeError },
      formatters: { log: safeLogObject },
      hooks: {
        logMethod(args, method) {
          method.apply(this, safeLogArgs(args) as Parameters<typeof method>);
        },
      },
    },
    usePretty ? prettyDestination() : opts.destination,
  );
}

/** "+15005550006" -> "+1500…0006": enough to tell calls apart in a log, not enough to dial. */
export function maskPhone(n: string | undefined): string {
  if (!n) return '';
  return n.length <= 6 ? '…' : `${n.slice(0, 5)}…${n.slice(-4)}`;
}
