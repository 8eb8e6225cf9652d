import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { requireApiKey } from '../http/auth.js';
import { asBusinessId, type BusinessId } from '../ids.js';
import {
  DOCUMENT_FORMATS,
  EmptyDocumentError,
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
 *   DELETE /api/kb/documents/:id    ?businessId=
 *   GET    /api/kb/search?q=        &businessId=&k=&mode=hybrid|fulltext|vector&all=true
 * Without businessId, the first business (the only one, in the embedded default) is meant.
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

const JsonDocument = z.object({
  title: z.string({ error: 'title is required (a string)' }).trim().min(1, 'title is required').max(300),
  content: z.string({ error: 'content is required (the text)' }).min(1, 'content is required'),
  format: z.enum(DOCUMENT_FORMATS).exclude(['pdf']).default('text'),
  businessId: businessIdField,
});

const UploadQuery = z.object({
  title: z.string().trim().min(1).max(300).optional(),
  filename: z.string().trim().min(1).max(300).optional(),
  businessId: businessIdField,
});

const ListQuery = z.object({ businessId: businessIdField });

const SearchQuery = z.object({
  q: z
    .string({ error: 'q (the question) is required' })
    .trim()
    .min(1, 'q (the question) is required')
    .max(1000),
  businessId: businessIdField,
  k: z.coerce.number().int().min(1).max(20).default(3),
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

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function badRequest(reply: FastifyReply, issues: z.ZodError) {
  const messages = issues.issues.map((i) =>
    i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message,
  );
  return reply.code(400).send({ error: messages.join('; '), issues: messages });
}

export function registerKbApi(app: FastifyInstance, deps: KbApiDeps): void {
  const auth = requireApiKey(deps.apiKey);
  const maxUpload = deps.maxUploadBytes ?? 10 * 1024 * 1024;

  const businessFor = async (id: string | undefined): Promise<BusinessId> => {
    if (id) {
      const businessId = asBusinessId(id);
      if (!(await deps.businesses.getById(businessId))) throw new HttpError(404, 'business not found');
      return businessId;
    }
    const [first] = await deps.businesses.list();
    if (!first) throw new HttpError(400, 'no business exists yet; create one first or pass businessId');
    return first.id;
  };

  const failed = (reply: FastifyReply, err: unknown) => {
    if (err instanceof HttpError) return reply.code(err.status).send({ error: err.message });
    if (err instanceof UnsupportedDocumentError) return reply.code(415).send({ error: err.message });
    if (err instanceof UnreadableDocumentError || err instanceof EmptyDocumentError) {
      return reply.code(400).send({ error: err.message });
    }
    throw err;
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

    scope.post('/api/kb/documents', { preHandler: auth }, async (req, reply) => {
      const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      try {
        if (contentType === 'application/json') {
          const body = JsonDocument.safeParse(req.body);
          if (!body.success) return badRequest(reply, body.error);
          const businessId = await businessFor(body.data.businessId);
          const added = await deps.kb.add({
            businessId,
            title: body.data.title,
            content: body.data.content,
            format: body.data.format,
          });
          return reply.code(201).send({ ...added, businessId });
        }
        const query = UploadQuery.safeParse(req.query);
        if (!query.success) return badRequest(reply, query.error);
        if (!Buffer.isBuffer(req.body) || req.body.length === 0) {
          return reply.code(400).send({
            error: `send the document as the request body (Content-Type one of ${SUPPORTED_TYPES.join(', ')}), or JSON {title, content}`,
          });
        }
        if (!query.data.title && !query.data.filename) {
          return reply.code(400).send({ error: 'title is required: add ?title= (or ?filename=) to the URL' });
        }
        const businessId = await businessFor(query.data.businessId);
        const added = await deps.kb.add({
          businessId,
          title: query.data.title,
          file: { bytes: req.body, mime: contentType, filename: query.data.filename },
        });
        return reply.code(201).send({ ...added, businessId });
      } catch (err) {
        return failed(reply, err);
      }
    });

    scope.get('/api/kb/documents', { preHandler: auth }, async (req, reply) => {
      const q = ListQuery.safeParse(req.query);
      if (!q.success) return badRequest(reply, q.error);
      const documents = await deps.kb.list(q.data.businessId ? asBusinessId(q.data.businessId) : undefined);
      return { documents };
    });

    scope.delete('/api/kb/documents/:id', { preHandler: auth }, async (req, reply) => {
      const p = IdParam.safeParse(req.params);
      if (!p.success) return badRequest(reply, p.error);
      const q = ListQuery.safeParse(req.query);
      if (!q.success) return badRequest(reply, q.error);
      const deleted = await deps.kb.delete(
        p.data.id,
        q.data.businessId ? asBusinessId(q.data.businessId) : undefined,
      );
      if (!deleted) return reply.code(404).send({ error: 'document not found' });
      return reply.code(204).send();
    });

    scope.get('/api/kb/search', { preHandler: auth }, async (req, reply) => {
      const q = SearchQuery.safeParse(req.query);
      if (!q.success) return badRequest(reply, q.error);
      try {
        const businessId = await businessFor(q.data.businessId);
        const hits = await deps.kb.searchDetailed(
          businessId,
          q.data.q,
          { k: q.data.k, mode: q.data.mode, includeIrrelevant: q.data.all },
          AbortSignal.timeout(10_000),
        );
        return { businessId, hits };
      } catch (err) {
        return failed(reply, err);
      }
    });
  });
}
