import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';

/**
 * The one error shape every HTTP answer uses: `{"error":"<code>","message":"<human sentence>"}`,
 * plus `details` for validation. A 500 says only "internal error" and the request id: whatever
 * the error carried (SQL, bound parameters, stack, secrets) stays in the server log, sanitized
 * there by the logger's error serializer.
 */

export interface ErrorBody {
  error: string;
  message: string;
  details?: ErrorDetail[];
}

export interface ErrorDetail {
  /** Where in the input, e.g. `profile.timezone` or `query.limit`; empty for the whole input. */
  path: string;
  message: string;
}

/** Thrown (or sent with sendError) by routes for an answer other than success. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function sendError(
  reply: FastifyReply,
  statusCode: number,
  code: string,
  message: string,
  details?: ErrorDetail[],
): FastifyReply {
  return reply
    .code(statusCode)
    .type('application/json; charset=utf-8')
    .send(details ? { error: code, message, details } : { error: code, message });
}

/** zod issues as details, paths joined with dots and prefixed (e.g. `query`). */
export function zodDetails(error: z.ZodError, prefix?: string): ErrorDetail[] {
  return error.issues.map((i) => ({
    path: [...(prefix ? [prefix] : []), ...i.path.map(String)].join('.'),
    message: i.message,
  }));
}

/** A 400 for input that failed its schema: the first problem in the message, all of them in details. */
export function validationFailed(error: z.ZodError, what = 'request', prefix?: string): ApiError {
  const details = zodDetails(error, prefix);
  const first = details[0];
  const where = first?.path ? `${first.path}: ` : '';
  return new ApiError(
    400,
    'validation_failed',
    `The ${what} is not valid (${where}${first?.message ?? 'invalid'}).`,
    details,
  );
}

/** Sentences for statuses whose error carries no message safe to show. */
const STATUS_TEXT: Record<number, [code: string, message: string]> = {
  400: ['bad_request', 'The request is not valid.'],
  401: ['unauthorized', 'A valid API key is required (Authorization: Bearer <key>).'],
  403: ['forbidden', 'This request is not allowed.'],
  404: ['not_found', 'Nothing is here.'],
  405: ['method_not_allowed', 'This method is not allowed here.'],
  406: ['not_acceptable', 'No acceptable representation.'],
  408: ['request_timeout', 'The request took too long to arrive.'],
  409: ['conflict', 'The request conflicts with the current state.'],
  413: ['payload_too_large', 'The request body is too large.'],
  415: ['unsupported_media_type', 'This content type is not accepted here.'],
  429: ['too_many_requests', 'Too many requests; try again later.'],
  431: ['headers_too_large', 'The request headers are too large.'],
  503: ['unavailable', 'The server is not taking requests right now.'],
};

/** Fastify's own client errors whose messages describe the request, not the server. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
  FST_ERR_VALIDATION: 'validation_failed',
  FST_ERR_BAD_URL: 'bad_request',
  FST_CSRF_MISSING_SECRET: 'csrf_failed',
  FST_CSRF_INVALID_TOKEN: 'csrf_failed',
};

export function statusText(statusCode: number): [code: string, message: string] {
  return (
    STATUS_TEXT[statusCode] ??
    (statusCode >= 500 ? ['internal_error', 'internal error'] : ['bad_request', 'The request is not valid.'])
  );
}

/** What the client sees for an error (never anything from a 5xx error itself). */
export function errorBody(err: unknown, requestId: string): { statusCode: number; body: ErrorBody } {
  // Ours: made on purpose with a message meant for the client.
  if (err instanceof ApiError) {
    return {
      statusCode: err.statusCode,
      body: { error: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) },
    };
  }
  const e = err as Partial<FastifyError> | undefined;
  const status = e?.statusCode;
  const statusCode = typeof status === 'number' && status >= 400 && status < 500 ? status : 500;
  if (statusCode === 500) {
    return {
      statusCode,
      body: { error: 'internal_error', message: `internal error (request id ${requestId})` },
    };
  }
  const [code, sentence] = statusText(statusCode);
  const fastifyCode = typeof e?.code === 'string' ? FASTIFY_CODES[e.code] : undefined;
  if (fastifyCode && typeof e?.message === 'string') {
    return { statusCode, body: { error: fastifyCode, message: sentenceOf(e.message) } };
  }
  return { statusCode, body: { error: code, message: sentence } };
}

const sentenceOf = (s: string) => {
  const t = s.trim().slice(0, 300);
  return /[.!?]$/.test(t) ? t : `${t}.`;
};

/**
 * Installs the error and not-found handlers on the root instance. Call before any route or
 * plugin is registered: Fastify binds a route to the handler in place when it is added.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(async (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const { statusCode, body } = errorBody(err, req.id);
    if (statusCode >= 500 && err instanceof ApiError) {
      // Answered on purpose (not configured, an upstream busy): the node is fine, so not an error.
      req.log.warn({ statusCode, error: body.error }, 'request refused: unavailable');
    } else if (statusCode >= 500) {
      // The logger's err serializer keeps message and stack and drops bound parameters.
      req.log.error({ err }, 'request failed');
    } else {
      req.log.info({ statusCode, error: body.error }, 'request refused');
    }
    if (reply.sent || reply.raw.headersSent) return;
    reply.header('x-request-id', req.id);
    return sendError(reply, statusCode, body.error, body.message, body.details);
  });

  app.setNotFoundHandler(async (req: FastifyRequest, reply: FastifyReply) => {
    // The path only: a query string may carry a token.
    const path = (req.raw.url ?? '/').split('?')[0]!.slice(0, 200);
    return sendError(reply, 404, 'not_found', `No route ${req.method} ${path}.`);
  });
}
