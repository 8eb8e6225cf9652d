/** Why a simulated call could not get going; the CLI turns each into advice. */

/** Nothing answered at the URL (connection refused, unknown host, timeout). */
export class ServerUnreachableError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`no server answers at ${url} (${reason})`);
    this.name = 'ServerUnreachableError';
  }
}

/** The server answered a step of the call with an HTTP error (403: the signature did not match). */
export class CallRefusedError extends Error {
  constructor(
    readonly step: 'voice webhook' | 'stream upgrade' | 'message webhook',
    readonly url: string,
    readonly status: number,
  ) {
    super(`${step} ${url} answered HTTP ${status}`);
    this.name = 'CallRefusedError';
  }
}

/** The innermost reason fetch gives for a failed connection ("connect ECONNREFUSED 127.0.0.1:3000"). */
export function fetchFailureReason(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const inner = (cause as { errors?: unknown[] }).errors;
    // Node's happy-eyeballs connect gives an AggregateError of one error per address tried.
    if (Array.isArray(inner) && inner[0] instanceof Error) return inner[0].message;
    return cause.message || (cause as NodeJS.ErrnoException).code || String(cause);
  }
  return err instanceof Error ? err.message : String(err);
}
