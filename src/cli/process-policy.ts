import type { Logger } from '../shared/index.js';

/**
 * What the serving process does with errors nothing else caught. An unhandled rejection is one
 * failed operation (a call's write, a timer's promise): it is logged at error and the server and
 * every other call go on. An uncaught exception left some handler half-run, so the state behind
 * it cannot be trusted: it is logged at fatal and the process stops the way SIGTERM stops it
 * (no new calls, live calls finish or get a goodbye, ends written), with exit code 1.
 */

/** The part of `process` the policy listens on (an EventEmitter in tests). */
export interface ProcessEvents {
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  on(event: 'uncaughtException', listener: (err: Error) => void): unknown;
  off(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  off(event: 'uncaughtException', listener: (err: Error) => void): unknown;
}

export interface ProcessPolicy {
  /** How many unhandled rejections were logged (also for tests). */
  readonly unhandledRejections: number;
  uninstall(): void;
}

export function installProcessPolicy(
  proc: ProcessEvents,
  opts: { log: Pick<Logger, 'error'> & { fatal: Logger['error'] }; onUncaughtException(err: Error): void },
): ProcessPolicy {
  let rejections = 0;
  const onRejection = (reason: unknown) => {
    rejections++;
    opts.log.error(
      { err: reason instanceof Error ? reason : new Error(String(reason)) },
      'unhandled promise rejection; the server goes on',
    );
  };
  const onException = (err: Error) => {
    opts.log.fatal({ err }, 'uncaught exception; shutting down gracefully');
    opts.onUncaughtException(err);
  };
  proc.on('unhandledRejection', onRejection);
  proc.on('uncaughtException', onException);
  return {
    get unhandledRejections() {
      return rejections;
    },
    uninstall() {
      proc.off('unhandledRejection', onRejection);
      proc.off('uncaughtException', onException);
    },
  };
}
