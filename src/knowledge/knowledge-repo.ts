import { and, eq, sql, type SQL } from 'drizzle-orm';
import type { BusinessId } from '../ids.js';
import type { Db } from '../store/index.js';
import { knowledgeChunks, knowledgeDocuments, type KnowledgeSource } from '../store/schema/knowledge.js';
import { rowsOf } from '../store/raw-rows.js';

/**
 * Every SQL statement of the knowledge base: documents with their chunks (written in one
 * transaction), listing, deleting, and the two candidate searches that hybrid retrieval fuses:
 *
 * - full text: the question's lexemes (PostgreSQL's English stemming and stop words, the same as
 *   the chunks' generated `search` column) OR-ed into one tsquery (OR, not AND: a spoken question
 *   rarely contains every word of its answer), ordered by the summed IDF of the lexemes each chunk
 *   contains, then ts_rank_cd.
 * - vector: cosine similarity to the question's embedding. With pgvector (PGlite loads it; a
 *   PostgreSQL may have it) `embedding::vector <=> q`; without it, the stored vectors (unit length)
 *   are multiplied with the question's in the query, `sum(e * q) over unnest(embedding, q)`.
 *   Only vectors made by the same embedder are compared.
 *
 * Each candidate comes back with both its full-text rank and its similarity, and with the
 * question's lexemes it contains, so the caller can judge relevance whichever list found it.
 */

export type VectorSupport = 'pgvector' | 'array';

export interface NewKnowledgeChunk {
  heading: string | null;
  text: string;
  /** Unit length; null stores the chunk for full-text search only. */
  embedding: Float32Array | null;
}

export interface NewKnowledgeDocument {
  businessId: BusinessId;
  title: string;
  source: KnowledgeSource;
  origin?: string | null;
  content: string;
  /** Which embedder made the chunks' vectors. */
  embeddingModel: string | null;
  chunks: readonly NewKnowledgeChunk[];
}

export interface KnowledgeDocumentSummary {
  id: string;
  businessId: BusinessId;
  title: string;
  source: KnowledgeSource;
  origin: string | null;
  chunkCount: number;
  /** Length of the extracted text. */
  characters: number;
  createdAt: Date;
}

export interface ChunkCandidate {
  chunkId: number;
  documentId: string;
  title: string;
  source: KnowledgeSource;
  heading: string | null;
  text: string;
  /** ts_rank_cd against the OR-ed question; 0 when no lexeme matched. */
  rank: number;
  /**
   * Sum of the IDF of the question's lexemes the chunk contains (BM25 without term frequency):
   * what full-text candidates are ordered by, since ts_rank_cd alone lets a common word found
   * three times outrank a rare one found once ("service" against "Indiana").
   */
  weight: number;
  /** Cosine similarity to the question; null when the chunk has no vector from this embedder. */
  similarity: number | null;
  /** The question's lexemes this chunk contains (heading included). */
  matched: string[];
}

export interface QueryTerms {
  /** The question's lexemes with the number of this business's chunks containing each. */
  lexemes: { lexeme: string; df: number }[];
  /** Chunks this business has. */
  chunks: number;
}

export interface CandidateQuery {
  businessId: BusinessId;
  /** The question, fillers removed. */
  text: string;
  vector: Float32Array | null;
  model: string | null;
  limit: number;
}

export interface KnowledgeRepoOptions {
  /** 'auto' (default): pgvector if the extension is there or can be created, else plain arrays. */
  vectors?: 'auto' | VectorSupport;
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** Chunks inserted per statement (each carries a few hundred floats). */
const INSERT_BATCH = 100;

export class KnowledgeRepo {
  private support: Promise<VectorSupport> | undefined;

  constructor(
    private readonly db: Db,
    private readonly opts: KnowledgeRepoOptions = {},
  ) {}

  /**
   * How vectors are compared here. pgvector is used when installed, or created when the server
   * offers it (PGlite always does); creating it can fail for lack of rights, and then plain arrays
   * do the same job more slowly. Decided once per repository.
   */
  vectorSupport(): Promise<VectorSupport> {
    if (this.opts.vectors === 'array') return Promise.resolve('array');
    return (this.support ??= this.detectVectorSupport().then((found) => {
      if (this.opts.vectors === 'pgvector' && found !== 'pgvector') {
        throw new Error('pgvector was asked for but the database has no vector extension');
      }
      return found;
    }));
  }

  private async detectVectorSupport(): Promise<VectorSupport> {
    const installed = async () =>
      rowsOf<{ n: number }>(
        await this.db.execute(sql`select count(*)::int as n from pg_extension where extname = 'vector'`),
      )[0]?.n === 1;
    if (await installed()) return 'pgvector';
    const available = rowsOf<{ n: number }>(
      await this.db.execute(
        sql`select count(*)::int as n from pg_available_extensions where name = 'vector'`,
      ),
    )[0]?.n;
    if (available !== 1) return 'array';
    try {
      await this.db.execute(sql`create extension if not exists vector`);
    } catch {
      // No rights, or another node created it at the same moment: look again.
    }
    return (await installed()) ? 'pgvector' : 'array';
  }

  /** The document and all its chunks, or nothing. */
  async add(doc: NewKnowledgeDocument): Promise<{ id: string; chunkCount: number }> {
    return this.db.transaction((tx) => this.insert(tx, doc));
  }

  /**
   * Replaces every document of `source` for the business with `docs`, atomically (the FAQ is
   * re-indexed this way whenever the profile changes). Returns the new documents' ids.
   */
  async replaceSource(
    businessId: BusinessId,
    source: KnowledgeSource,
    docs: readonly NewKnowledgeDocument[],
  ): Promise<{ id: string; chunkCount: number }[]> {
    return this.db.transaction(async (tx) => {
      await tx
        .delete(knowledgeDocuments)
        .where(and(eq(knowledgeDocuments.businessId, businessId), eq(knowledgeDocuments.source, source)));
      const out: { id: string; chunkCount: number }[] = [];
      for (const d of docs) out.push(await this.insert(tx, d));
      return out;
    });
  }

  private async insert(tx: Tx, doc: NewKnowledgeDocument): Promise<{ id: string; chunkCount: number }> {
    const [row] = await tx
      .insert(knowledgeDocuments)
      .values({
        businessId: doc.businessId,
        title: doc.title,
        source: doc.source,
        origin: doc.origin ?? null,
        content: doc.content,
      })
      .returning({ id: knowledgeDocuments.id });
    const id = row!.id;
    const rows = doc.chunks.map((c, ordinal) => ({
      documentId: id,
      businessId: doc.businessId,
      ordinal,
      heading: c.heading,
      text: c.text,
      embedding: c.embedding ? Array.from(c.embedding) : null,
      embeddingModel: c.embedding ? doc.embeddingModel : null,
    }));
    for (let i = 0; i < rows.length; i += INSERT_BATCH) {
      await tx.insert(knowledgeChunks).values(rows.slice(i, i + INSERT_BATCH));
    }
    return { id, chunkCount: rows.length };
  }

  /** Newest first; all businesses when `businessId` is undefined. */
  async list(
    businessId?: BusinessId,
    opts: { source?: KnowledgeSource } = {},
  ): Promise<KnowledgeDocumentSummary[]> {
    const conditions: SQL[] = [sql`true`];
    if (businessId) conditions.push(sql`d.business_id = ${businessId}`);
    if (opts.source) conditions.push(sql`d.source = ${opts.source}`);
    const rows = rowsOf<{
      id: string;
      business_id: string;
      title: string;
      source: KnowledgeSource;
      origin: string | null;
      characters: number;
      chunk_count: number;
      created_at: Date | string;
    }>(
      await this.db.execute(sql`
        select d.id, d.business_id, d.title, d.source, d.origin, length(d.content)::int as characters,
          (select count(*) from knowledge_chunks c where c.document_id = d.id)::int as chunk_count, d.created_at
        from knowledge_documents d
        where ${sql.join(conditions, sql` and `)}
        order by d.created_at desc, d.id desc`),
    );
    return rows.map((r) => ({
      id: r.id,
      businessId: r.business_id as BusinessId,
      title: r.title,
      source: r.source,
      origin: r.origin,
      chunkCount: Number(r.chunk_count),
      characters: Number(r.characters),
      createdAt: new Date(r.created_at),
    }));
  }

  /** Whether the document's stored text is exactly `content` (to skip re-indexing what did not change). */
  async contentEquals(id: string, content: string): Promise<boolean> {
    const rows = await this.db
      .select({ same: sql<boolean>`${knowledgeDocuments.content} = ${content}` })
      .from(knowledgeDocuments)
      .where(eq(knowledgeDocuments.id, id));
    return rows[0]?.same === true;
  }

  /** Removes the document and its chunks. False when there is no such document (of that business). */
  async delete(id: string, businessId?: BusinessId): Promise<boolean> {
    const rows = await this.db
      .delete(knowledgeDocuments)
      .where(
        businessId
          ? and(eq(knowledgeDocuments.id, id), eq(knowledgeDocuments.businessId, businessId))
          : eq(knowledgeDocuments.id, id),
      )
      .returning({ id: knowledgeDocuments.id });
    return rows.length > 0;
  }

  /** The question's lexemes and how common each is in the business's chunks (for relevance). */
  async queryTerms(businessId: BusinessId, text: string): Promise<QueryTerms> {
    const rows = rowsOf<{ lexeme: string; df: number; total: number }>(
      await this.db.execute(sql`
        select x as lexeme,
          (select count(*) from knowledge_chunks c
            where c.business_id = ${businessId} and c.search @@ quote_literal(x)::tsquery)::int as df,
          (select count(*) from knowledge_chunks c where c.business_id = ${businessId})::int as total
        from unnest(tsvector_to_array(to_tsvector('english', ${text}))) as x`),
    );
    return {
      lexemes: rows.map((r) => ({ lexeme: r.lexeme, df: Number(r.df) })),
      chunks: Number(rows[0]?.total ?? 0),
    };
  }

  /** Chunks sharing at least one lexeme with the question, best ts_rank_cd first. */
  async fullTextCandidates(q: CandidateQuery): Promise<ChunkCandidate[]> {
    return this.candidates(q, 'fulltext');
  }

  /** The chunks nearest the question's vector (same embedder only), most similar first. */
  async vectorCandidates(q: CandidateQuery): Promise<ChunkCandidate[]> {
    if (!q.vector || !q.model) return [];
    return this.candidates(q, 'vector');
  }

  private async candidates(q: CandidateQuery, by: 'fulltext' | 'vector'): Promise<ChunkCandidate[]> {
    const support = await this.vectorSupport();
    const similarity = similarityExpr(support, q.vector, q.model);
    const where =
      by === 'fulltext'
        ? sql`c.search @@ tq.tsq`
        : sql`c.embedding_model = ${q.model} and c.embedding is not null`;
    const order =
      by === 'fulltext'
        ? sql`weight desc, rank desc, c.id`
        : support === 'pgvector'
          ? sql`c.embedding::vector <=> ${pgvectorLiteral(q.vector!)}::vector, c.id`
          : sql`similarity desc nulls last, c.id`;
    const rows = rowsOf<{
      chunk_id: number | string;
      document_id: string;
      title: string;
      source: KnowledgeSource;
      heading: string | null;
      text: string;
      rank: number | null;
      weight: number | null;
      similarity: number | null;
      matched: string[] | string | null;
    }>(
      await this.db.execute(sql`
        with tq as (
          select lex,
            case when cardinality(lex) = 0 then null
              else array_to_string(array(select quote_literal(x) from unnest(lex) as x), ' | ')::tsquery end as tsq
          from (select tsvector_to_array(to_tsvector('english', ${q.text})) as lex) as l
        ),
        total as (select count(*)::float8 as n from knowledge_chunks where business_id = ${q.businessId}),
        w as (
          select x as lexeme, ln(1 + (total.n - df.n + 0.5) / (df.n + 0.5)) as idf
          from tq, total, unnest(tq.lex) as x,
            lateral (select count(*)::float8 as n from knowledge_chunks c
              where c.business_id = ${q.businessId} and c.search @@ quote_literal(x)::tsquery) as df
        )
        select c.id::float8 as chunk_id, c.document_id, d.title, d.source, c.heading, c.text,
          coalesce(ts_rank_cd(c.search, tq.tsq), 0)::float8 as rank,
          (select coalesce(sum(w.idf), 0) from w where c.search @@ quote_literal(w.lexeme)::tsquery)::float8 as weight,
          ${similarity} as similarity,
          array(select x from unnest(tq.lex) as x where c.search @@ quote_literal(x)::tsquery) as matched
        from tq, knowledge_chunks c
          join knowledge_documents d on d.id = c.document_id
        where c.business_id = ${q.businessId} and ${where}
        order by ${order}
        limit ${q.limit}`),
    );
    return rows.map((r) => ({
      chunkId: Number(r.chunk_id),
      documentId: r.document_id,
      title: r.title,
      source: r.source,
      heading: r.heading,
      text: r.text,
      rank: Number(r.rank ?? 0),
      weight: Number(r.weight ?? 0),
      similarity: r.similarity === null ? null : Number(r.similarity),
      matched: parseTextArray(r.matched),
    }));
  }
}

function similarityExpr(support: VectorSupport, vector: Float32Array | null, model: string | null): SQL {
  if (!vector || !model) return sql`null::float8`;
  if (support === 'pgvector') {
    return sql`case when c.embedding_model = ${model}
      then (1 - (c.embedding::vector <=> ${pgvectorLiteral(vector)}::vector))::float8 end`;
  }
  // Stored vectors are unit length (KnowledgeBase normalises them), so the dot product is the cosine.
  return sql`case when c.embedding_model = ${model}
    then (select sum(e * v) from unnest(c.embedding, ${pgArrayLiteral(vector)}::real[]) as u(e, v))::float8 end`;
}

function pgvectorLiteral(v: Float32Array): string {
  return `[${Array.from(v).join(',')}]`;
}

function pgArrayLiteral(v: Float32Array): string {
  return `{${Array.from(v).join(',')}}`;
}

/** node-postgres parses text[] into an array; a driver that does not hands over '{a,b}'. */
function parseTextArray(v: string[] | string | null): string[] {
  if (v === null) return [];
  if (Array.isArray(v)) return v;
  const inner = v.replace(/^\{|\}$/g, '');
  return inner ? inner.split(',').map((s) => s.replace(/^"|"$/g, '')) : [];
}
