import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';

/**
 * Hostile input stopped once, at the edge, before any route sees it: JSON bodies too deeply
 * nested (JSON.parse copes, but every recursive consumer after it overflows the stack), strings
 * far longer than any field needs, NUL characters (PostgreSQL text cannot hold them; they
 * end up as 500s), numbers out of range (1e999 parses to Infinity), and prototype keys. Query
 * strings and route parameters are checked for NUL too. Per-field limits stay in each route's
 * zod schema; these are the outer bounds, settable per route with `config: { jsonLimits }`
 * (the knowledge base takes 10 MB documents).
 */

export interface JsonLimits {
  /** Deepest nesting of arrays and objects. */
  maxDepth: number;
  /** Longest string (a key or a value), in characters. */
  maxStringLength: number;
}

export const DEFAULT_JSON_LIMITS: JsonLimits = { maxDepth: 32, maxStringLength: 16 * 1024 };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Outer bounds for this route's JSON body; unset fields keep the defaults. */
    jsonLimits?: Partial<JsonLimits>;
  }
}

const invalid = (message: string, path?: string) =>
  new ApiError(400, 'invalid_input', message, path === undefined ? undefined : [{ path, message }]);

function limitsFor(req: FastifyRequest): JsonLimits {
  const own = req.routeOptions?.config?.jsonLimits;
  return own ? { ...DEFAULT_JSON_LIMITS, ...own } : DEFAULT_JSON_LIMITS;
}

/**
 * The deepest nesting in JSON text, scanning without recursion; strings are skipped with
 * indexOf, so a 10 MB document in one string costs almost nothing. Stops early past `max`.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Find the closing quote: one not preceded by an odd number of backslashes.
      let j = i + 1;
      for (;;) {
        const k = text.indexOf('"', j);
        if (k === -1) return false; // unterminated: JSON.parse reports it
        let backslashes = 0;
        for (let b = k - 1; b > i && text.charCodeAt(b) === 0x5c; b--) backslashes++;
        if (backslashes % 2 === 0) {
          i = k;
          break;
        }
        j = k + 1;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/** Checks a parsed value without recursion; throws ApiError(400) naming the first problem. */
export function checkValue(value: unknown, limits: JsonLimits, where = 'body'): void {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: '', depth: 0 }];
  const at = (path: string) => (path ? `${where}.${path}` : where);
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      checkString(v, limits, at(path));
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw invalid(`The number at ${at(path)} is out of range.`, at(path));
    } else if (v !== null && typeof v === 'object') {
      if (Buffer.isBuffer(v)) continue;
      if (depth >= limits.maxDepth) {
        throw invalid(`The input is nested deeper than ${limits.maxDepth} levels.`, at(path));
      }
      if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--)
          stack.push({ v: v[i], path: path ? `${path}.${i}` : String(i), depth: depth + 1 });
        continue;
      }
      for (const key of Object.keys(v)) {
        const p = path ? `${path}.${key.slice(0, 64)}` : key.slice(0, 64);
        checkString(key, limits, `${at(path)} (a key)`);
        if (
          key === '__proto__' ||
          (key === 'constructor' && isPrototypeHolder((v as Record<string, unknown>)[key]))
        ) {
          throw invalid(`The key "${key}" is not accepted.`, at(p));
        }
        stack.push({ v: (v as Record<string, unknown>)[key], path: p, depth: depth + 1 });
      }
    }
  }
}

const isPrototypeHolder = (v: unknown) =>
  v !== null && typeof v === 'object' && Object.prototype.hasOwnProperty.call(v, 'prototype');

function checkString(s: string, limits: JsonLimits, at: string): void {
  if (s.length > limits.maxStringLength) {
    throw invalid(
      `The text at ${at} is ${s.length} characters long; at most ${limits.maxStringLength} are accepted here.`,
      at,
    );
  }
  if (s.includes('\u0000')) throw invalid(`The text at ${at} contains a NUL character (\\u0000).`, at);
}

/** application/json bodies: depth checked before parsing, everything else right after. */
function parseJson(req: FastifyRequest, body: string): unknown {
  if (body.length === 0) throw new ApiError(400, 'invalid_json', 'The body is empty but its type is JSON.');
  const limits = limitsFor(req);
  if (jsonDepthExceeds(body, limits.maxDepth)) {
    throw invalid(`The JSON body is nested deeper than ${limits.maxDepth} levels.`, 'body');
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new ApiError(400, 'invalid_json', 'The body is not valid JSON.');
  }
  checkValue(value, limits);
  return value;
}

/**
 * Replaces Fastify's JSON parser on the root instance (child scopes inherit it), and checks
 * query strings, route parameters and non-JSON bodies (forms) before validation.
 */
export function registerInputGuard(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    try {
      done(null, parseJson(req, body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addHook('preValidation', async (req) => {
    const limits = limitsFor(req);
    checkValue(req.query, limits, 'query');
    checkValue(req.params, limits, 'params');
    // JSON was checked while parsing; forms and other parsed bodies are checked here.
    const type = req.headers['content-type'] ?? '';
    if (req.body !== undefined && !/^application\/json\b/i.test(type)) checkValue(req.body, limits, 'body');
  });
}
