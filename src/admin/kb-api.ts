import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { businessScope, canSeeBusiness } from '../auth/index.js';
import { assertManages, principalOf, scopeOf, type Access } from '../http/access.js';
import { ApiError, validationFailed } from '../http/errors.js';
import { adminRoute, describedOnly, errorBodySchema, queryObject } from '../http/route-schemas.js';
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
import { pageInMemory, pageOf, pageQuery } from './paging.js';
import { timestamp } from './schemas.js';

/**
 * The knowledge base, for anyone signed in (adding and deleting: owners, admins, the API key):
 *   POST   /api/kb/documents        JSON {title, content, format?, businessId?}; a raw upload
 *                                   (Content-Type application/pdf, text/html, text/markdown or
 *                                   text/plain) with ?title=&businessId=&filename=; or a form
 *                                   (multipart/form-data: a `file` part, `title`, `businessId`),
 *                                   as `curl -F file=@prices.md -F title=Prices` sends it
 *   GET    /api/kb/documents        ?businessId=&limit=&cursor=
 *   GET    /api/kb/documents/:id    ?businessId=   (status: 'indexing' or 'ready')
 *   DELETE /api/kb/documents/:id    ?businessId=
 *   GET    /api/kb/search?q=        &businessId=&k=&mode=hybrid|fulltext|vector&all=true
 * Without businessId, a user's own business is meant; for the API key and admins, the first one
 * (the only one, in the embedded default), and lists show every business. A business the user
 * may not see answers as if it did not exist.
 *
 * An upload is answered 201 once the document is stored and searchable (a 10 MB one takes
 * seconds, parsed in a worker thread, so the server keeps serving calls meanwhile); an answer
 * that never came means nothing was kept (a half-indexed document is removed on the next start).
 * Every refusal is `{"error": "<code>", "message": "<sentence>"}` (plus `details` for validation).
 */

export interface KbApiDeps {
  access: Access;
  kb: KnowledgeBase;
  businesses: {
    list(): Promise<readonly { id: BusinessId }[]>;
    getById(id: BusinessId): Promise<unknown>;
  };
  /** Largest upload. Default 10 MiB (PDFs are bigger than the JSON bodies the server otherwise takes). */
  maxUploadBytes?: number;
  /**
   * A business's knowledge changed (a document added or deleted; undefined: a deletion whose
   * business was not named), e.g. to rebuild the recognizer's vocabulary.
   */
  onChanged?: (businessId: BusinessId | undefined) => void;
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

const UploadQuery = queryObject({
  title: line('title', 300).optional().describe('For a raw upload: the title (default: the file name)'),
  filename: line('filename', 300).optional().describe('For a raw upload: the file name'),
  businessId: businessIdField,
});

/** The text fields of a form upload; the file comes in the `file` part. */
const FormFields = z.strictObject(
  { title: line('title', 300).optional(), businessId: businessIdField },
  {
    error: (i) =>
      i.code === 'unrecognized_keys'
        ? `unknown form field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')} (this form takes file, title, businessId)`
        : undefined,
  },
);

const OneQuery = queryObject({ businessId: businessIdField });
const ListQuery = queryObject({ businessId: businessIdField, ...pageQuery });

const SearchQuery = queryObject({
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
    .default(false)
    .describe('Also show candidates the relevance gate drops'),
});

const IdParam = z.object({ id: z.uuid('id must be a document UUID') });

const documentSchema = z.looseObject({
  id: z.uuid(),
  businessId: z.uuid(),
  title: z.string(),
  source: z.string().describe('text, markdown, html, pdf or faq'),
  status: z.enum(['indexing', 'ready']),
  chunkCount: z.number().int(),
  characters: z.number().int(),
  createdAt: timestamp,
});
const addedSchema = z.looseObject({
  id: z.uuid(),
  businessId: z.uuid(),
  title: z.string(),
  source: z.string(),
  chunkCount: z.number().int(),
  status: z.literal('ready'),
});
const hitSchema = z.looseObject({
  text: z.string(),
  title: z.string().optional(),
  score: z.number(),
  documentId: z.uuid(),
  relevant: z.boolean(),
});

/** Upload media types, and anything else: the handler answers unknown types with the list it takes. */
const RAW_TYPES = [...SUPPORTED_TYPES, 'text/x-markdown', 'application/octet-stream'];

/** The raw upload's body in the OpenAPI document (not validated: the handler reads the bytes). */
const rawFile = describedOnly({ type: 'string', format: 'binary', description: 'The file itself' });
const formBody = describedOnly({
  type: 'object',
  properties: {
    file: { type: 'string', format: 'binary', description: 'The document (.txt, .md, .html or .pdf)' },
    title: { type: 'string', maxLength: 300, description: 'Default: the file name' },
    businessId: { type: 'string', format: 'uuid' },
  },
  required: ['file'],
});

/** The input, or a 400 naming its first problem (all of them in `details`). */
function parse<S extends z.ZodType>(schema: S, input: unknown, what: string, where: string): z.infer<S> {
  const r = schema.safeParse(input ?? {});
  if (!r.success) throw validationFailed(r.error, what, where);
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

const emptyBody = () =>
  new ApiError(
    400,
    'empty_body',
    `Send the document as the request body (Content-Type one of ${SUPPORTED_TYPES.join(', ')}), as a form with a file part, or JSON {title, content}.`,
  );

/**
 * A form upload read part by part (curl sends the file before the title), the file at most
 * `maxBytes`: past it the read stops and the request is answered 413.
 */
async function readFormParts(
  req: FastifyRequest,
  maxBytes: number,
): Promise<{ file?: { bytes: Buffer; mime: string; filename: string }; fields: Record<string, string> }> {
  const fields: Record<string, string> = {};
  let file: { bytes: Buffer; mime: string; filename: string } | undefined;
  for await (const part of req.parts({
    limits: { fileSize: maxBytes, files: 1, fields: 10, fieldSize: 4096, parts: 11 },
  })) {
    if (part.type === 'file') {
      if (part.fieldname !== 'file') {
        await part.toBuffer(); // drained, so the request can be answered
        throw new ApiError(
          400,
          'validation_failed',
          `The form is not valid (the file goes in a part named "file", not "${part.fieldname.slice(0, 40)}").`,
          [{ path: `body.${part.fieldname.slice(0, 40)}`, message: 'the file goes in a part named "file"' }],
        );
      }
      file = { bytes: await part.toBuffer(), mime: part.mimetype, filename: part.filename };
    } else {
      fields[part.fieldname] = typeof part.value === 'string' ? part.value : String(part.value);
    }
  }
  return { ...(file ? { file } : {}), fields };
}

/** readFormParts, with a form that cannot be parsed (no boundary, cut short, bad headers) a 400. */
async function readForm(req: FastifyRequest, maxBytes: number): ReturnType<typeof readFormParts> {
  try {
    return await readFormParts(req, maxBytes);
  } catch (err) {
    const status = (err as { statusCode?: unknown }).statusCode;
    // Ours, and the size limits (413 in the error shape, as for a raw upload), go on as they are.
    if (err instanceof ApiError || status === 413) throw err;
    const why = String((err as Error).message ?? 'unreadable').slice(0, 200);
    throw new ApiError(400, 'invalid_form', `The form could not be read as multipart/form-data (${why}).`);
  }
}

export function registerKbApi(app: FastifyInstance, deps: KbApiDeps): void {
  const { signedIn, managers } = deps.access;
  const maxUpload = deps.maxUploadBytes ?? 10 * 1024 * 1024;
  const tags = ['knowledge'];

  /** The business a request means: the one named (if the principal may see it), else its own or the first. */
  const businessFor = async (req: FastifyRequest, id: string | undefined): Promise<BusinessId> => {
    const p = principalOf(req);
    const own = businessScope(p);
    if (id === undefined && own !== 'all') return own;
    if (id) {
      const businessId = asBusinessId(id);
      if (!canSeeBusiness(p, businessId) || !(await deps.businesses.getById(businessId))) {
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

  // Its own scope, so the raw-body and form parsers apply to these routes only.
  void app.register(async (parent) => {
    const scope = parent.withTypeProvider<ZodTypeProvider>();
    // Fastify parses text/plain into a string and refuses other types; here uploads arrive as bytes.
    scope.removeContentTypeParser(['text/plain']);
    scope.addContentTypeParser(RAW_TYPES, { parseAs: 'buffer', bodyLimit: maxUpload }, (_req, body, done) =>
      done(null, body),
    );
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxUpload }, (_req, body, done) =>
      done(null, body),
    );
    // Forms: read in the handler (readForm), the file bounded by the same limit as a raw upload.
    await scope.register(multipart, { limits: { fileSize: maxUpload }, throwFileSizeLimit: true });

    scope.post(
      '/api/kb/documents',
      {
        onRequest: managers,
        bodyLimit: maxUpload,
        // A JSON document's content is one long string (the server-wide default allows 16 KiB).
        config: { jsonLimits: { maxStringLength: maxUpload } },
        schema: adminRoute({
          summary: 'Adds a document: JSON, the raw file, or a form (curl -F file=@prices.md -F title=Prices)',
          tags,
          querystring: UploadQuery,
          body: {
            content: {
              'application/json': { schema: JsonDocument },
              'multipart/form-data': { schema: formBody },
              ...Object.fromEntries(SUPPORTED_TYPES.map((t) => [t, { schema: rawFile }])),
            },
          },
          response: {
            201: addedSchema.describe('Stored and searchable'),
            413: errorBodySchema.describe('Larger than the upload limit (10 MiB)'),
            415: errorBodySchema.describe('Not a document type the knowledge base reads'),
          },
        }),
      },
      async (req, reply) => {
        const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        try {
          if (contentType === 'application/json') {
            const body = parse(JsonDocument, req.body, 'document', 'body');
            const businessId = assertManages(
              req,
              await businessFor(req, body.businessId ?? req.query.businessId),
            );
            const added = await deps.kb.add({
              businessId,
              title: body.title,
              content: body.content,
              format: body.format,
            });
            deps.onChanged?.(businessId);
            return await reply.code(201).send({ ...added, businessId, status: 'ready' as const });
          }
          const query = req.query;
          if (contentType === 'multipart/form-data') {
            const form = await readForm(req, maxUpload);
            const fields = parse(FormFields, form.fields, 'form', 'body');
            if (!form.file || form.file.bytes.length === 0) throw emptyBody();
            const businessId = assertManages(
              req,
              await businessFor(req, fields.businessId ?? query.businessId),
            );
            const added = await deps.kb.add({
              businessId,
              title: fields.title ?? query.title,
              file: { bytes: form.file.bytes, mime: form.file.mime, filename: form.file.filename },
            });
            deps.onChanged?.(businessId);
            return await reply.code(201).send({ ...added, businessId, status: 'ready' as const });
          }
          if (!Buffer.isBuffer(req.body) || req.body.length === 0) throw emptyBody();
          if (!query.title && !query.filename) {
            throw new ApiError(
              400,
              'title_required',
              'A title is required: add ?title= (or ?filename=) to the URL.',
            );
          }
          const businessId = assertManages(req, await businessFor(req, query.businessId));
          const added = await deps.kb.add({
            businessId,
            title: query.title,
            file: { bytes: req.body, mime: contentType, filename: query.filename },
          });
          deps.onChanged?.(businessId);
          return await reply.code(201).send({ ...added, businessId, status: 'ready' as const });
        } catch (err) {
          throw asApiError(err);
        }
      },
    );

    scope.get(
      '/api/kb/documents',
      {
        onRequest: signedIn,
        schema: adminRoute({
          summary: 'Documents, newest first',
          tags,
          querystring: ListQuery,
          response: { 200: pageOf(documentSchema) },
        }),
      },
      async (req) => {
        const q = req.query;
        const all = await deps.kb.list(scopeOf(req, q.businessId));
        // Newest first by (created_at, id), as the repository lists them; a business has few.
        const listed = pageInMemory(all, q.limit, q.cursor, (d) => ({ at: new Date(d.createdAt), id: d.id }));
        return { ...listed, items: listed.items.map((d) => ({ ...d })) };
      },
    );

    scope.get(
      '/api/kb/documents/:id',
      {
        onRequest: signedIn,
        schema: adminRoute({
          summary: "One document's summary; its status says whether it is searchable yet",
          tags,
          params: IdParam,
          querystring: OneQuery,
          response: { 200: documentSchema },
        }),
      },
      async (req) => {
        const q = req.query;
        const doc = await deps.kb.get(req.params.id, scopeOf(req, q.businessId));
        if (!doc)
          throw new ApiError(404, 'document_not_found', 'No document has that id (document not found).');
        return { ...doc };
      },
    );

    scope.delete(
      '/api/kb/documents/:id',
      {
        onRequest: managers,
        schema: adminRoute({
          summary: 'Deletes a document and its chunks',
          tags,
          params: IdParam,
          querystring: OneQuery,
          response: { 204: z.undefined().describe('Deleted') },
        }),
      },
      async (req, reply) => {
        const q = req.query;
        const notFound = () =>
          new ApiError(404, 'document_not_found', 'No document has that id (document not found).');
        const doc = await deps.kb.get(req.params.id, scopeOf(req, q.businessId));
        if (!doc) throw notFound();
        const businessId = assertManages(req, doc.businessId);
        if (!(await deps.kb.delete(doc.id, businessId))) throw notFound();
        deps.onChanged?.(businessId);
        return reply.code(204).send();
      },
    );

    scope.get(
      '/api/kb/search',
      {
        onRequest: signedIn,
        schema: adminRoute({
          summary: 'Searches the knowledge base as a call would',
          tags,
          querystring: SearchQuery,
          response: {
            200: z.object({ businessId: z.uuid(), hits: z.array(hitSchema) }),
            503: errorBodySchema.describe('The search took longer than its budget'),
          },
        }),
      },
      async (req) => {
        const q = req.query;
        try {
          const businessId = await businessFor(req, q.businessId);
          const hits = await deps.kb.searchDetailed(
            businessId,
            q.q,
            { k: q.k, mode: q.mode, includeIrrelevant: q.all },
            AbortSignal.timeout(10_000),
          );
          return { businessId, hits: hits.map((h) => ({ ...h })) };
        } catch (err) {
          throw asApiError(err);
        }
      },
    );
  });
}
