import { createRequire } from 'node:module';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';

/**
 * The admin API described by its own route schemas: an OpenAPI 3.1 document at
 * GET /openapi.json and Swagger UI at /docs (its assets come from the installed package, so the
 * page works with no internet). Only `/api` routes are in the document: the Twilio webhooks
 * follow Twilio's contract, and health and metrics are for probes.
 *
 * Register before any route: the document is built from the routes added after this.
 */

export const OPENAPI_PATH = '/openapi.json';
export const DOCS_PREFIX = '/docs';
const OPENAPI_VERSION = '3.1.0';

const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** The documented surface: the admin API, and the channels' routes a business's own systems call. */
export const DOCUMENTED_PREFIXES = [
  '/api',
  '/phone',
  '/sessions',
  '/room',
  '/whatsapp/send',
  '/whatsapp/call',
];
export const isDocumented = (url: string) =>
  DOCUMENTED_PREFIXES.some((p) => url === p || url.startsWith(`${p}/`));
const isApi = isDocumented;

const zodTransform = createJsonSchemaTransform({ skipList: [] });
type TransformInput = Parameters<typeof zodTransform>[0];

/**
 * Hides everything outside /api, and converts bodies given per content type (the knowledge
 * upload takes JSON, raw files and forms), which the zod transform does not read.
 */
function transform(input: TransformInput): ReturnType<typeof zodTransform> {
  const { url, schema } = input;
  if (!isApi(url)) return { schema: { hide: true }, url };
  const body = (schema as { body?: unknown } | undefined)?.body;
  const perType =
    body && !(body instanceof z.ZodType) && typeof body === 'object' && 'content' in body
      ? (body as { content: Record<string, { schema: unknown }> }).content
      : undefined;
  if (!perType) return zodTransform(input);
  const { body: _body, ...rest } = schema as Record<string, unknown>;
  const out = zodTransform({ ...input, schema: rest } as TransformInput);
  const content: Record<string, { schema: unknown }> = {};
  for (const [type, media] of Object.entries(perType)) {
    if (!(media.schema instanceof z.ZodType)) {
      content[type] = media;
      continue;
    }
    const { $schema: _dialect, ...json } = z.toJSONSchema(media.schema, {
      target: 'draft-2020-12',
      io: 'input',
      unrepresentable: 'any',
    });
    content[type] = { schema: json };
  }
  return { ...out, schema: { ...(out.schema as object), body: { content } } } as ReturnType<
    typeof zodTransform
  >;
}

export async function registerApiDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: OPENAPI_VERSION,
      info: {
        title: 'Switchboard admin API',
        version,
        description:
          'Calls, what the receptionist captured, notifications, the business profile and the knowledge base. ' +
          'Every /api route needs `Authorization: Bearer <SWITCHBOARD_API_KEY>`. Every error is ' +
          '`{"error": "<code>", "message": "..."}` (plus `details` for validation). Lists take ' +
          '`?limit=&cursor=` and answer `{items: [...], nextCursor}`: pass `nextCursor` back as `cursor` ' +
          'for the next page; it is null on the last one. Unknown query parameters are refused.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'SWITCHBOARD_API_KEY' },
        },
      },
    },
    transform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    staticCSP: true,
    // Swagger UI reads the same document at /docs/json.
    uiConfig: { deepLinking: true },
  });
  app.get(OPENAPI_PATH, async () => app.swagger());
}
