import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requireApiKey } from '../http/auth.js';
import { ApiError, validationFailed } from '../http/errors.js';
import { asBusinessId, type BusinessId } from '../ids.js';
import {
  DOCUMENT_FORMATS,
  EmptyDocumentError,
  KnowledgeTimeoutError,
  SUPPORTED_TYPES,
  UnreadableDocumentError,
  UnsupportedDocumentError,
  type KnowledgeBase,
} from '../knowledge/index.js';

/**
 * The knowledge base behind the admin API key:
 *   POST   /api/kb/documents        JSON {title, content, format?, businessId?}, or a raw upload
 *                                   (Content-Type application/pdf, text/html, text/markdown or
 *                                   text/plain) with ?title=&businessId=&filename=
 *   GET    /api/kb/documents        ?businessId=
 *   GET    /api/kb/documents/:id    ?businessId=   (status: 'indexing' or 'ready')
 *   DELETE /api/kb/documents/:id    ?businessId=
 *   GET    /api/kb/search?q=        &businessId=&k=&mode=hybrid|fulltext|vector&all=true
 * Without businessId, the first business (the only one, in the embedded default) is meant.
 *
 * An upload is answered 201 once the document is stored and searchable (a 10 MB one takes
 * seconds, parsed in a worker thread, so the server keeps serving calls meanwhile); an answer
 * that never came means nothing was kept (a half-indexed document is removed on the next start).
 * Every refusal is `{"error": "<code>", "message": "<sentence>"}` (plus `details` for validation).
 */

export interface KbApiDeps {
  apiKey: string;
  kb: KnowledgeBase;
  businesses: {
    list(): Promise<readonly { id: BusinessId }[]>;
    getById(id: BusinessId): Promise<unknown>;
  };
  /** Largest upload. Default 10 MiB (PDFs are bigger than the JSON bodies the server otherwise takes). */
  maxUploadBytes?: number;
}

const businessIdField = z.string().uuid('businessId must be a UUID').optional();

/** PostgreSQL text cannot hold NUL; a title or a question never needs control characters. */
const noNul = (s: string) => !s.includes('\u0000');
const line = (what: string, max: number) =>
  z
    .string({ error: (i) => (i.input === undefined ? `${what} is required` : `${what} must be text`) })
    .trim()
    .min(1, `${what} is required`)
    .max(max, `${what} is longer than ${max} characters`)
    .refine(noNul, `${what} must not contain NUL characters`);

const JsonDocument = z.object({
  title: line('title', 300),
  content: z
    .string({ error: 'content is required (the text)' })
    .min(1, 'content is required')
    .refine(noNul, 'content must not contain NUL characters'),
  format: z.enum(DOCUMENT_FORMATS).exclude(['pdf']).default('text'),
  businessId: businessIdField,
});

const UploadQuery = z.object({
  title: line('title', 300).optional(),
  filename: line('filename', 300).optional(),
  businessId: businessIdField,
});

const ListQuery = z.object({ businessId: businessIdField });

const SearchQuery = z.object({
  q: line('q (the question)', 1000),
  businessId: businessIdField,
  k: z.coerce
    .number({ error: 'k must be a whole number from 1 to 20' })
    .int('k must be a whole number from 1 to 20')
    .min(1, 'k must be a whole number from 1 to 20')
    .max(20, 'k must be a whole number from 1 to 20')
    .default(3),
  mode: z.enum(['hybrid', 'fulltext', 'vector']).default('hybrid'),
  /** Also show candidates the relevance gate drops (to see why something is not found). */
  all: z
    .enum(['true', 'false', '1', '0'])
    .transform((v) => v === 'true' || v === '1')
    .default(false),
});

const IdParam = z.object({ id: z.string().uuid('id must be a document UUID') });

/** Upload media types, and anything else: the handler answers unknown types with the list it takes. */
const RAW_TYPES = [...SUPPORTED_TYPES, 'text/x-markdown', 'application/octet-stream'];

/** The input, or a 400 naming its first problem (all of them in `details`). */
function parse<S extends z.ZodType>(
  schema: S,
  input: unknown,
  where: 'body' | 'query' | 'params',
): z.infer<S> {
  const r = schema.safeParse(input ?? {});
  if (!r.success) throw validationFailed(r.error, where === 'body' ? 'document' : where, where);
  return r.data;
}

/** The knowledge base's own refusals in the one error shape; anything else goes on as a 500. */
function asApiError(err: unknown): unknown {
  const sentence = (e: Error) => (/[.!?]$/.test(e.message) ? e.message : `${e.message}.`);
  if (err instanceof UnsupportedDocumentError)
    return new ApiError(415, 'unsupported_document', sentence(err));
  if (err instanceof UnreadableDocumentError) return new ApiError(400, 'unreadable_document', sentence(err));
  if (err instanceof EmptyDocumentError) return new ApiError(400, 'empty_document', sentence(err));
  if (err instanceof KnowledgeTimeoutError) return new ApiError(503, 'search_timeout', sentence(err));
  return err;
}

export function registerKbApi(app: FastifyInstance, deps: KbApiDeps): void {
  const auth = requireApiKey(deps.apiKey);
  const maxUpload = deps.maxUploadBytes ?? 10 * 1024 * 1024;

  const businessFor = async (id: string | undefined): Promise<BusinessId> => {
    if (id) {
      const businessId = asBusinessId(id);
      if (!(await deps.businesses.getById(businessId))) {
        throw new ApiError(
          404,
          'business_not_found',
          'No business has that businessId (business not found).',
        );
      }
      return businessId;
    }
    const [first] = await deps.businesses.list();
    if (!first) {
      throw new ApiError(400, 'no_business', 'No business exists yet; create one first or pass businessId.');
    }
    return first.id;
  };

  // Its own scope, so the raw-body parsers apply to these routes only.
  void app.register(async (scope) => {
    // Fastify parses text/plain into a string and refuses other types; here uploads arrive as bytes.
    scope.removeContentTypeParser(['text/plain']);
    scope.addContentTypeParser(RAW_TYPES, { parseAs: 'buffer', bodyLimit: maxUpload }, (_req, body, done) =>
      done(null, body),
    );
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxUpload }, (_req, body, done) =>
      done(null, body),
    );

    scope.post(
      '/api/kb/documents',
      {
        preHandler: auth,
        bodyLimit: maxUpload,
        // A JSON document's content is one long string (the server-wide default allows 16 KiB).
        config: { jsonLimits: { maxStringLength: maxUpload } },
      },
      async (req, reply) => {
        const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        try {
          if (contentType === 'application/json') {
            const body = parse(JsonDocument, req.body, 'body');
            const businessId = await businessFor(body.businessId);
            const added = await deps.kb.add({
              businessId,
              title: body.title,
              content: body.content,
              format: body.format,
            });
            return await reply.code(201).send({ ...added, businessId, status: 'ready' });
          }
          const query = parse(UploadQuery, req.query, 'query');
          if (!Buffer.isBuffer(req.body) || req.body.length === 0) {
            throw new ApiError(
              400,
              'empty_body',
              `Send the document as the request body (Content-Type one of ${SUPPORTED_TYPES.join(', ')}), or JSON {title, content}.`,
            );
          }
          if (!query.title && !query.filename) {
            throw new ApiError(
              400,
              'title_required',
              'A title is required: add ?title= (or ?filename=) to the URL.',
            );
          }
          const businessId = await businessFor(query.businessId);
          const added = await deps.kb.add({
            businessId,
            title: query.title,
            file: { bytes: req.body, mime: contentType, filename: query.filename },
          });
          return await reply.code(201).send({ ...added, businessId, status: 'ready' });
        } catch (err) {
          throw asApiError(err);
        }
      },
    );

    scope.get('/api/kb/documents', { preHandler: auth }, async (req) => {
      const q = parse(ListQuery, req.query, 'query');
      const documents = await deps.kb.list(q.businessId ? asBusinessId(q.businessId) : undefined);
      return { documents };
    });

    scope.get('/api/kb/documents/:id', { preHandler: auth }, async (req) => {
      const p = parse(IdParam, req.params, 'params');
      const q = parse(ListQuery, req.query, 'query');
      const doc = await deps.kb.get(p.id, q.businessId ? asBusinessId(q.businessId) : undefined);
      if (!doc)
        throw new ApiError(404, 'document_not_found', 'No document has that id (document not found).');
      return doc;
    });

    scope.delete('/api/kb/documents/:id', { preHandler: auth }, async (req, reply) => {
      const p = parse(IdParam, req.params, 'params');
      const q = parse(ListQuery, req.query, 'query');
      const deleted = await deps.kb.delete(p.id, q.businessId ? asBusinessId(q.businessId) : undefined);
      if (!deleted)
        throw new ApiError(404, 'document_not_found', 'No document has that id (document not found).');
      return reply.code(204).send();
    });

    scope.get('/api/kb/search', { preHandler: auth }, async (req) => {
      const q = parse(SearchQuery, req.query, 'query');
      try {
        const businessId = await businessFor(q.businessId);
        const hits = await deps.kb.searchDetailed(
          businessId,
          q.q,
          { k: q.k, mode: q.mode, includeIrrelevant: q.all },
          AbortSignal.timeout(10_000),
        );
        return { businessId, hits };
      } catch (err) {
        throw asApiError(err);
      }
    });
  });
}
