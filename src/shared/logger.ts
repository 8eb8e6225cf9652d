/**
 * The one Logger type: the structural part of pino's logger the house calls, so a pino logger
 * (src/http/logger.ts builds it) or a test's recorder fits without importing pino. A module that
 * needs only some levels takes `Pick<Logger, 'warn'>` and the like, so its fakes stay small. Fatal
 * is the process policy's alone (src/cli/process-policy.ts).
 * Never give it secrets or callers' words; pino's redaction is the last guard, not the first.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Logs nothing: the default where a logger is optional. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
