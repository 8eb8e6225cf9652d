import { sql, type SQL } from 'drizzle-orm';
import {
  bigint,
  check,
  customType,
  index,
  integer,
  pgTable,
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

const tsvector = customType<{ data: string; driverData: string }>({
  dataType() {
    return 'tsvector';
  },
});

export const KNOWLEDGE_SOURCES = ['text', 'markdown', 'html', 'pdf', 'faq'] as const;
export type KnowledgeSource = (typeof KNOWLEDGE_SOURCES)[number];

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
    createdAt: tsColumn('created_at').notNull().defaultNow(),
    updatedAt: tsColumn('updated_at')
      .notNull()
      .defaultNow()
      .$onUpdate(() => new Date()),
  },
  (t) => [
    index('knowledge_documents_business_idx').on(t.businessId, t.createdAt.desc()),
    check('knowledge_documents_source_check', sql`${t.source} in ('text', 'markdown', 'html', 'pdf', 'faq')`),
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
    createdAt: tsColumn('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('knowledge_chunks_search_idx').using('gin', t.search),
    index('knowledge_chunks_business_idx').on(t.businessId),
    unique('knowledge_chunks_document_ordinal_unique').on(t.documentId, t.ordinal),
  ],
);
