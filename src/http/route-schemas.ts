import type { FastifyInstance, FastifySchema, FastifySchemaCompiler } from 'fastify';
import { serializerCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { validationFailed } from './errors.js';

/**
 * Route schemas are zod, read by Fastify through the zod type provider: the same schema checks
 * the input, types the handler and describes the route in /openapi.json. A failure answers in
 * the one error shape (`validation_failed`, the first problem in the message, all in details).
 */

/** Each part of a request: the word for it in a validation message, and its prefix in a detail's path. */
const PARTS: Record<string, [what: string, prefix: string]> = {
  body: ['body', 'body'],
  querystring: ['query', 'query'],
  params: ['path', 'params'],
  headers: ['request headers', 'headers'],
};

/** Validates with zod; a failure is our ApiError, which Fastify passes on to the error handler as is. */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  if (!(schema instanceof z.ZodType)) {
    throw new Error(`route schemas are zod schemas (got a plain object for ${httpPart ?? 'a part'})`);
  }
  const [what, prefix] = PARTS[httpPart ?? 'body'] ?? ['request', 'request'];
  return (data: unknown) => {
    // Fastify hands a missing body over as null; routes treat "no body" as "nothing given".
    const r = schema.safeParse(prefix === 'body' && data == null ? {} : data);
    return r.success ? { value: r.data } : { error: validationFailed(r.error, what, prefix) };
  };
};

/** Installs zod validation and serialization on the root instance (children inherit them). */
export function registerRouteSchemas(app: FastifyInstance): void {
  app.setValidatorCompiler(zodValidatorCompiler);
  // A response that does not match its schema is a bug: a 500 with the request id, logged.
  app.setSerializerCompiler(serializerCompiler);
}

/** The one error shape, as a schema (a component in the OpenAPI document). */
export const errorBodySchema = z
  .object({
    error: z.string().describe('A stable code, e.g. validation_failed, not_found, unauthorized'),
    message: z.string().describe('A sentence for a person'),
    details: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .describe('For validation_failed: every problem, with where it is (e.g. query.limit)'),
  })
  .meta({ id: 'Error' });

/** Responses every admin API route can give besides its success. */
export const errorResponses = {
  400: errorBodySchema.describe('The input is not valid'),
  401: errorBodySchema.describe('No valid API key (Authorization: Bearer <key>)'),
  404: errorBodySchema.describe('Nothing with this id'),
} as const;

/**
 * A query string object that refuses parameters it does not know (a misspelt filter would
 * otherwise be ignored and the answer look filtered when it is not), naming them and the ones
 * it takes.
 */
export function queryObject<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown query parameter${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}` +
          (known.length ? ` (this route takes ${known.join(', ')})` : ' (this route takes none)')
        : undefined,
  });
}

/**
 * A body the handler reads itself (a raw file, a form streamed part by part), described in the
 * OpenAPI document by the given JSON Schema but not validated here.
 */
export function describedOnly(jsonSchema: Record<string, unknown>) {
  return z.unknown().meta(jsonSchema);
}

/** Marks a route schema as part of the admin API (bearer key): security and error answers. */
export function adminRoute<S extends FastifySchema & { response?: Record<number | string, unknown> }>(
  schema: S,
): S & { security: { bearerAuth: string[] }[] } {
  return {
    ...schema,
    security: [{ bearerAuth: [] }],
    response: { ...errorResponses, ...schema.response },
  };
}
