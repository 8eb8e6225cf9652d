/**
 * What the logger writes for requests and errors. Request URLs lose their query string (tokens
 * travel there). Errors keep name, message, stack, code and cause, but never bound query
 * parameters: drizzle's DrizzleQueryError puts them in `params` and in its message, PGlite's
 * errors carry `params` too, and PostgreSQL's `detail` and value-bearing messages repeat them.
 */

interface RequestLike {
  method?: string;
  url?: string;
  ip?: string;
  id?: string;
  raw?: { url?: string };
  socket?: { remotePort?: number };
}

/** "/api/calls?token=…" -> "/api/calls". */
export function pathOnly(url: string | undefined): string {
  if (!url) return '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

export function serializeRequest(req: RequestLike): Record<string, unknown> {
  return {
    method: req.method,
    url: pathOnly(req.url ?? req.raw?.url),
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

/** Fields of an error (or its cause) that hold bound values or whole rows. */
const VALUE_FIELDS = new Set([
  'params',
  'parameters',
  'values',
  'detail',
  'where',
  'internalQuery',
  'queryOptions',
  'body',
  'config',
  'request',
  'response',
  'headers',
]);

const MAX_DEPTH = 4;

/** "...\nparams: a,b" (drizzle) is cut; `for type uuid: "abc"` (PostgreSQL 22xxx) loses the value. */
export function safeErrorMessage(message: string, sqlState?: unknown): string {
  let m = message.replace(/\nparams: [\s\S]*$/, '');
  if (typeof sqlState === 'string' && /^22/.test(sqlState)) m = m.replace(/: ".*"\s*$/s, ': "…"');
  return m;
}

export function serializeError(err: unknown, depth = 0): unknown {
  // Not an Error (or already serialized by formatters.log): as it is.
  if (!(err instanceof Error)) return err;
  const e = err as Error & Record<string, unknown>;
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const type = e.constructor?.name ?? name;
  const message = safeErrorMessage(String(e.message ?? ''), e['code']);
  const out: Record<string, unknown> = { type, message };
  if (typeof e.stack === 'string') {
    // The stack starts with "Name: message": rebuild that line from the safe message.
    const frames = e.stack.split('\n').filter((l) => /^\s+at /.test(l));
    out['stack'] = [`${name}: ${message}`, ...frames].join('\n');
  }
  for (const [k, v] of Object.entries(e)) {
    if (k === 'message' || k === 'stack' || k === 'cause' || VALUE_FIELDS.has(k)) continue;
    if (typeof v === 'string') out[k] = v.length > 2000 ? `${v.slice(0, 2000)}…` : v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  if (e.cause !== undefined && depth < MAX_DEPTH) out['cause'] = serializeError(e.cause, depth + 1);
  if (Array.isArray(e['errors']) && depth < MAX_DEPTH) {
    out['errors'] = (e['errors'] as unknown[]).slice(0, 10).map((x) => serializeError(x, depth + 1));
  }
  return out;
}

/**
 * pino's `formatters.log`: an Error under any key (not only `err`) is serialized safely, since
 * pino would otherwise write its enumerable fields (drizzle's `params`) as they are.
 */
export function safeLogObject(obj: Record<string, unknown>): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(obj)) {
    if (v instanceof Error) {
      copy ??= { ...obj };
      copy[k] = serializeError(v);
    } else if (typeof v === 'string' && v.includes(PARAMS_MARK)) {
      // `{ err: e.message }` of a drizzle error.
      copy ??= { ...obj };
      copy[k] = safeErrorMessage(v);
    }
  }
  return copy ?? obj;
}

const PARAMS_MARK = '\nparams: ';

/**
 * pino's `hooks.logMethod`: `log.error(err)` would take err.message (with drizzle's parameters)
 * as the line's message, and a message built from one would carry them too.
 */
export function safeLogArgs(args: unknown[]): unknown[] {
  const [first, ...rest] = args;
  if (first instanceof Error && typeof rest[0] !== 'string') {
    const code = (first as { code?: unknown }).code;
    return [{ err: first }, safeErrorMessage(first.message, code), ...rest];
  }
  return args.map((a) => (typeof a === 'string' && a.includes(PARAMS_MARK) ? safeErrorMessage(a) : a));
}
