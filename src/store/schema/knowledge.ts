import { sql, type SQL } from 'drizzle-orm';
import {
  bigint,
  check,
  customType,
  index,
  integer,
  pgTable,
  primaryKey,
  real,
  text,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { businesses, tsColumn } from './businesses.js';

/**
 * The knowledge base: documents an owner adds, cut into chunks that are searched by PostgreSQL
 * full text (the generated `search` column) combined with vector similarity. Embeddings are a
 * plain float array so the same schema runs on PostgreSQL without pgvector (scored in the query);
 * where the extension exists, `embedding::vector` casts it for pgvector's operators.
 */

const varbit = customType<{ data: string; driverData: string }>({
  dataType() {
    return 'bit varying';
  },
});

const tsvector = customType<{ data: string; driverData: string }>({
  dataType() {
    return 'tsvector';
  },
});

export const KNOWLEDGE_SOURCES = ['text', 'markdown', 'html', 'pdf', 'faq'] as const;
export type KnowledgeSource = (typeof KNOWLEDGE_SOURCES)[number];

/**
 * 'indexing' while its chunks are written in short batches (so no transaction holds the database
 * for seconds), 'ready' once all are in. Search sees ready documents only; an 'indexing' one that
 * a crash left behind is removed on the next start (its upload was never answered as done).
 */
export const KNOWLEDGE_STATUSES = ['indexing', 'ready'] as const;
export type KnowledgeStatus = (typeof KNOWLEDGE_STATUSES)[number];

export const knowledgeDocuments = pgTable(
  'knowledge_documents',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    businessId: uuid('business_id')
      .notNull()
      .references(() => businesses.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    source: text('source', { enum: KNOWLEDGE_SOURCES }).notNull().default('text'),
    /** The original file name or URL, when there was one. */
    origin: text('origin'),
    /** The extracted plain text the chunks were cut from. */
    content: text('content').notNull(),
    status: text('status', { enum: KNOWLEDGE_STATUSES }).notNull().default('ready'),
    createdAt: tsColumn('created_at').notNull().defaultNow(),
    updatedAt: tsColumn('updated_at')
      .notNull()
      .defaultNow()
      .$onUpdate(() => new Date()),
  },
  (t) => [
    index('knowledge_documents_business_idx').on(t.businessId, t.createdAt.desc()),
    check('knowledge_documents_source_check', sql`${t.source} in ('text', 'markdown', 'html', 'pdf', 'faq')`),
    check('knowledge_documents_status_check', sql`${t.status} in ('indexing', 'ready')`),
  ],
);

export const knowledgeChunks = pgTable(
  'knowledge_chunks',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    documentId: uuid('document_id')
      .notNull()
      .references(() => knowledgeDocuments.id, { onDelete: 'cascade' }),
    /** Copied from the document so a search filters chunks without a join. */
    businessId: uuid('business_id')
      .notNull()
      .references(() => businesses.id, { onDelete: 'cascade' }),
    /** Position within the document, from 0. */
    ordinal: integer('ordinal').notNull(),
    /** Heading or title the chunk sits under, searched with it. */
    heading: text('heading'),
    text: text('text').notNull(),
    search: tsvector('search')
      .notNull()
      .generatedAlwaysAs(
        (): SQL =>
          sql`to_tsvector('english'::regconfig, coalesce(${knowledgeChunks.heading}, '') || ' ' || ${knowledgeChunks.text})`,
      ),
    embedding: real('embedding').array(),
    /** Which embedder made `embedding` (vectors from different models are not comparable). */
    embeddingModel: text('embedding_model'),
    /**
     * `embedding` as signs: bit i set when component i is positive, bit dims+i when it is
     * negative. Hamming distance over these (bit_count of the XOR, core PostgreSQL) picks a
     * shortlist cheaply; only the shortlist's cosines are computed (KnowledgeRepo).
     */
    embeddingBits: varbit('embedding_bits'),
    createdAt: tsColumn('created_at').notNull().defaultNow(),
  },
  (t) => [
    // fastupdate off: with the pending list, the insert that overflows it merges megabytes of
    // entries in one statement (hundreds of ms on PGlite, every call's writes waiting); without
    // it each insert pays its own small share.
    index('knowledge_chunks_search_idx').using('gin', t.search).with({ fastupdate: false }),
    index('knowledge_chunks_business_idx').on(t.businessId),
    unique('knowledge_chunks_document_ordinal_unique').on(t.documentId, t.ordinal),
  ],
);

/**
 * How many of a business's chunks contain each lexeme (document frequency), kept up to date as
 * chunks are written and deleted, so a search reads the IDF of its few lexemes from here instead
 * of counting matches across the whole base on every question. The row with the empty lexeme ''
 * (never a real lexeme) holds the business's chunk count.
 */
export const knowledgeTerms = pgTable(
  'knowledge_terms',
  {
    businessId: uuid('business_id')
      .notNull()
      .references(() => businesses.id, { onDelete: 'cascade' }),
    lexeme: text('lexeme').notNull(),
    df: integer('df').notNull(),
  },
  (t) => [primaryKey({ columns: [t.businessId, t.lexeme] })],
);

/**
 * A large document's extracted text, in parts of at most 128 KiB (KnowledgeRepo): one statement
 * copying 10 MB into the embedded database holds it (and every call's writes) for about a second;
 * a part at a time, no statement does. Small documents keep their text in `content` alone.
 */
export const knowledgeDocumentParts = pgTable(
  'knowledge_document_parts',
  {
    documentId: uuid('document_id')
      .notNull()
      .references(() => knowledgeDocuments.id, { onDelete: 'cascade' }),
    part: integer('part').notNull(),
    text: text('text').notNull(),
  },
  (t) => [primaryKey({ columns: [t.documentId, t.part] })],
);
