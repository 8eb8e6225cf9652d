import { and, eq, sql, type SQL } from 'drizzle-orm';
import pg from 'pg';
import type { BusinessId } from '../ids.js';
import { KnowledgeTimeoutError } from './errors.js';
import type { TermSource } from './terms.js';
import type { Db } from '../store/index.js';
import {
  knowledgeChunks,
  knowledgeDocumentParts,
  knowledgeDocuments,
  type KnowledgeSource,
  type KnowledgeStatus,
} from '../store/schema/index.js';
import { rowsOf } from '../store/index.js';

/**
 * Every SQL statement of the knowledge base: documents with their chunks, listing, deleting, and
 * the statements of a search. Written for a database that is shared with live calls: PGlite runs
 * one statement at a time for the whole process (an emergency write waits for whatever runs), so
 * no statement here may run long.
 *
 * - Writing: a small document goes in one transaction. A large one is written as a document row
 *   with status 'indexing', then chunk batches each in its own short transaction, then 'ready'.
 *   Search reads ready documents only. Deleting hides the document first, then removes its chunks
 *   in batches. Every chunk write or delete adjusts `knowledge_terms` (the per-business document
 *   frequency of each lexeme) in the same transaction.
 * - Searching: (1) the question's lexemes with their document frequency, read from
 *   `knowledge_terms` (no counting across the base); (2) full text: chunks matching the rarer
 *   lexemes (the GIN index on `search`), the match set capped by summed document frequency, ordered
 *   by the summed IDF of the question's lexemes each contains, ts_rank_cd computed for the top few
 *   only; (3) vector: cosine similarity to the question's embedding (pgvector's `<=>` when the
 *   extension is there, else a dot product over the stored unit-length arrays), the top ids first
 *   and their text after. Only vectors made by the same embedder are compared.
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
  /** 'indexing' while its chunks are still being written; searched once 'ready'. */
  status: KnowledgeStatus;
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

export interface LexemeStat {
  lexeme: string;
  /** How many of the business's chunks contain it. */
  df: number;
}

export interface QueryTerms {
  /** The question's lexemes with the number of this business's chunks containing each. */
  lexemes: LexemeStat[];
  /** Chunks this business has. */
  chunks: number;
}

export interface SearchTerms {
  /** Lexemes of the question as asked (for relevance). */
  question: QueryTerms;
  /** Lexemes of the expanded question (what full text matches and weighs). */
  expanded: LexemeStat[];
}

export interface CandidateQuery {
  businessId: BusinessId;
  /** The expanded question's lexemes with their IDF weight. */
  lexemes: readonly { lexeme: string; df: number; idf: number }[];
  vector: Float32Array | null;
  model: string | null;
  limit: number;
}

export interface KnowledgeRepoOptions {
  /** 'auto' (default): pgvector if the extension is there or can be created, else plain arrays. */
  vectors?: 'auto' | VectorSupport;
  /**
   * Full-text candidates are drawn from the rarest lexemes of the question until their summed
   * document frequency passes this (the most common lexemes still weigh in the ordering, they
   * just do not widen the match set). Bounds the work of one search whatever the base's size.
   * Default 1500.
   */
  maxMatches?: number;
  /**
   * Whether searches run in a transaction with `SET LOCAL statement_timeout` (the server cancels
   * a statement past the budget). Default: on PostgreSQL yes; on PGlite no, since its timer does
   * not fire inside WebAssembly (tried: a 200 ms timeout let an 11 s statement finish), so there
   * the work of each statement is bounded by construction instead (`maxMatches`, top-k first).
   */
  statementTimeouts?: boolean;
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type Runner = Db | Tx;

/** Chunks inserted per statement (each carries a few hundred floats). */
const INSERT_BATCH = 50;
/** Characters of a document's text per statement (see knowledgeDocumentParts). */
const TEXT_PART = 128 * 1024;
/** Chunks removed per transaction when a document is deleted. */
const DELETE_BATCH = 50;
/** Full-text candidates ordered by weight before ts_rank_cd breaks ties among the best of them. */
const RERANK_FACTOR = 3;
/** Vector candidates shortlisted by Hamming distance for each one returned by exact cosine. */
const SHORTLIST_FACTOR = 10;

export class KnowledgeRepo {
  private support: Promise<VectorSupport> | undefined;
  private readonly maxMatches: number;
  private readonly statementTimeouts: boolean;

  constructor(
    private readonly db: Db,
    private readonly opts: KnowledgeRepoOptions = {},
  ) {
    this.maxMatches = Math.max(50, opts.maxMatches ?? 1500);
    this.statementTimeouts =
      opts.statementTimeouts ?? (db as unknown as { $client?: unknown }).$client instanceof pg.Pool;
  }

  /**
   * Runs a search's statements within `remainingMs`. On PostgreSQL they share one pooled
   * connection in a read-only transaction whose statement_timeout is the time left, so the server
   * cancels a slow one (emergency writes use other connections of the pool meanwhile); a cancel
   * becomes KnowledgeTimeoutError. On PGlite they run one by one on the shared engine, each short
   * by construction, so another query (an emergency write) gets in between them.
   */
  async withinBudget<T>(remainingMs: number, budgetMs: number, fn: (run: Runner) => Promise<T>): Promise<T> {
    if (remainingMs <= 0) throw new KnowledgeTimeoutError(budgetMs);
    if (!this.statementTimeouts) return fn(this.db);
    try {
      return await this.db.transaction(
        async (tx) => {
          await tx.execute(sql.raw(`set local statement_timeout = ${Math.max(1, Math.ceil(remainingMs))}`));
          return fn(tx);
        },
        { accessMode: 'read only' },
      );
    } catch (err) {
      if (isQueryCanceled(err)) throw new KnowledgeTimeoutError(budgetMs, { cause: err });
      throw err;
    }
  }

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

  // ---- writing ---------------------------------------------------------------------------------

  /** The document and all its chunks in one transaction (small documents: the FAQ, a page of text). */
  async add(doc: NewKnowledgeDocument): Promise<{ id: string; chunkCount: number }> {
    return this.db.transaction(async (tx) => {
      const id = await this.insertDocument(tx, doc, 'ready');
      await this.insertChunks(tx, id, doc, doc.chunks, 0);
      return { id, chunkCount: doc.chunks.length };
    });
  }

  /**
   * A document row with status 'indexing', not searched until `finish()`. Its text goes in parts,
   * a statement each, with a yield between them.
   */
  async begin(doc: Omit<NewKnowledgeDocument, 'chunks'>): Promise<string> {
    if (doc.content.length <= TEXT_PART) return this.insertDocument(this.db, doc, 'indexing');
    const id = await this.insertDocument(this.db, { ...doc, content: '' }, 'indexing');
    for (let i = 0, part = 0; i < doc.content.length; i += TEXT_PART, part++) {
      await new Promise((resolve) => setImmediate(resolve));
      await this.db
        .insert(knowledgeDocumentParts)
        .values({ documentId: id, part, text: doc.content.slice(i, i + TEXT_PART) });
    }
    return id;
  }

  /** Chunks `from`.. of a document being indexed, in one short transaction. */
  async append(
    id: string,
    doc: Pick<NewKnowledgeDocument, 'businessId' | 'embeddingModel'>,
    chunks: readonly NewKnowledgeChunk[],
    from: number,
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.insertChunks(tx, id, doc, chunks, from);
      // The stamp shows the indexing is alive (see removeInterrupted).
      await tx.update(knowledgeDocuments).set({ updatedAt: new Date() }).where(eq(knowledgeDocuments.id, id));
    });
  }

  /** Makes the document searchable. False when it is gone (deleted meanwhile). */
  async finish(id: string): Promise<boolean> {
    const rows = await this.db
      .update(knowledgeDocuments)
      .set({ status: 'ready' })
      .where(and(eq(knowledgeDocuments.id, id), eq(knowledgeDocuments.status, 'indexing')))
      .returning({ id: knowledgeDocuments.id });
    return rows.length > 0;
  }

  /**
   * Removes documents left 'indexing' by a crash or a failed upload (their uploads were never
   * answered as done), those not stamped for `staleMs` (another node sharing the database may be
   * indexing one right now). Returns how many were removed.
   */
  async removeInterrupted(staleMs: number): Promise<number> {
    const rows = rowsOf<{ id: string; business_id: string }>(
      await this.db.execute(sql`
        select id, business_id from knowledge_documents
        where status = 'indexing' and updated_at < now() - make_interval(secs => ${staleMs / 1000})`),
    );
    for (const r of rows) await this.removeChunksThenDocument(r.id, r.business_id as BusinessId);
    return rows.length;
  }

  /**
   * Replaces every document of `source` for the business with `docs`, atomically (the FAQ is
   * re-indexed this way whenever the profile changes: a few dozen chunks). Returns the new ids.
   */
  async replaceSource(
    businessId: BusinessId,
    source: KnowledgeSource,
    docs: readonly NewKnowledgeDocument[],
  ): Promise<{ id: string; chunkCount: number }[]> {
    return this.db.transaction(async (tx) => {
      const old = await tx
        .select({ id: knowledgeDocuments.id })
        .from(knowledgeDocuments)
        .where(and(eq(knowledgeDocuments.businessId, businessId), eq(knowledgeDocuments.source, source)));
      for (const o of old) await this.forgetTerms(tx, businessId, sql`c.document_id = ${o.id}`);
      await tx
        .delete(knowledgeDocuments)
        .where(and(eq(knowledgeDocuments.businessId, businessId), eq(knowledgeDocuments.source, source)));
      const out: { id: string; chunkCount: number }[] = [];
      for (const d of docs) {
        const id = await this.insertDocument(tx, d, 'ready');
        await this.insertChunks(tx, id, d, d.chunks, 0);
        out.push({ id, chunkCount: d.chunks.length });
      }
      return out;
    });
  }

  /**
   * Removes the document and its chunks. False when there is no such document (of that business).
   * It leaves search at once (hidden first); its chunks then go in short batches.
   */
  async delete(id: string, businessId?: BusinessId): Promise<boolean> {
    const rows = await this.db
      .update(knowledgeDocuments)
      .set({ status: 'indexing' })
      .where(
        businessId
          ? and(eq(knowledgeDocuments.id, id), eq(knowledgeDocuments.businessId, businessId))
          : eq(knowledgeDocuments.id, id),
      )
      .returning({ id: knowledgeDocuments.id, businessId: knowledgeDocuments.businessId });
    const row = rows[0];
    if (!row) return false;
    await this.removeChunksThenDocument(row.id, row.businessId as BusinessId);
    return true;
  }

  private async removeChunksThenDocument(id: string, businessId: BusinessId): Promise<void> {
    for (;;) {
      const removed = await this.db.transaction(async (tx) => {
        const batch = sql`c.id in (select id from knowledge_chunks where document_id = ${id} order by ordinal limit ${DELETE_BATCH})`;
        await this.forgetTerms(tx, businessId, batch);
        const gone = rowsOf<{ n: number }>(
          await tx.execute(sql`
            with d as (delete from knowledge_chunks c where ${batch} returning 1)
            select count(*)::int as n from d`),
        );
        return Number(gone[0]?.n ?? 0);
      });
      if (removed < DELETE_BATCH) break;
    }
    await this.db.delete(knowledgeDocuments).where(eq(knowledgeDocuments.id, id));
  }

  private async insertDocument(
    run: Runner,
    doc: Omit<NewKnowledgeDocument, 'chunks'>,
    status: KnowledgeStatus,
  ): Promise<string> {
    const [row] = await run
      .insert(knowledgeDocuments)
      .values({
        businessId: doc.businessId,
        title: doc.title,
        source: doc.source,
        origin: doc.origin ?? null,
        content: doc.content,
        status,
      })
      .returning({ id: knowledgeDocuments.id });
    return row!.id;
  }

  private async insertChunks(
    tx: Tx,
    documentId: string,
    doc: Pick<NewKnowledgeDocument, 'businessId' | 'embeddingModel'>,
    chunks: readonly NewKnowledgeChunk[],
    from: number,
  ): Promise<void> {
    if (chunks.length === 0) return;
    const rows = chunks.map((c, i) => ({
      documentId,
      businessId: doc.businessId,
      ordinal: from + i,
      heading: c.heading,
      text: c.text,
      embedding: c.embedding ? Array.from(c.embedding) : null,
      embeddingModel: c.embedding ? doc.embeddingModel : null,
      embeddingBits: c.embedding ? signBits(c.embedding) : null,
    }));
    for (let i = 0; i < rows.length; i += INSERT_BATCH) {
      await tx.insert(knowledgeChunks).values(rows.slice(i, i + INSERT_BATCH));
    }
    await tx.execute(sql`
      insert into knowledge_terms (business_id, lexeme, df)
      select ${doc.businessId}::uuid, x, count(*)::int
        from knowledge_chunks c, unnest(tsvector_to_array(c.search)) as x
        where c.document_id = ${documentId} and c.ordinal >= ${from} and c.ordinal < ${from + chunks.length}
        group by x
      union all select ${doc.businessId}::uuid, '', ${chunks.length}::int
      on conflict (business_id, lexeme) do update set df = knowledge_terms.df + excluded.df`);
  }

  /** Takes the chunks matching `which` (alias c) out of the business's document frequencies. */
  private async forgetTerms(tx: Tx, businessId: BusinessId, which: SQL): Promise<void> {
    await tx.execute(sql`
      update knowledge_terms t set df = t.df - s.n
      from (
        select x as lexeme, count(*)::int as n
          from knowledge_chunks c, unnest(tsvector_to_array(c.search)) as x where ${which} group by x
        union all select '', count(*)::int from knowledge_chunks c where ${which}
      ) as s
      where t.business_id = ${businessId} and t.lexeme = s.lexeme`);
    await tx.execute(
      sql`delete from knowledge_terms where business_id = ${businessId} and df <= 0 and lexeme <> ''`,
    );
  }

  // ---- reading ---------------------------------------------------------------------------------

  /** Newest first; all businesses when `businessId` is undefined. */
  async list(
    businessId?: BusinessId,
    opts: { source?: KnowledgeSource } = {},
  ): Promise<KnowledgeDocumentSummary[]> {
    return this.summaries(businessId, opts.source, undefined);
  }

  /** One document's summary (its status tells whether it is searchable yet). */
  async get(id: string, businessId?: BusinessId): Promise<KnowledgeDocumentSummary | undefined> {
    return (await this.summaries(businessId, undefined, id))[0];
  }

  private async summaries(
    businessId: BusinessId | undefined,
    source: KnowledgeSource | undefined,
    id: string | undefined,
  ): Promise<KnowledgeDocumentSummary[]> {
    const conditions: SQL[] = [sql`true`];
    if (businessId) conditions.push(sql`d.business_id = ${businessId}`);
    if (source) conditions.push(sql`d.source = ${source}`);
    if (id) conditions.push(sql`d.id = ${id}`);
    const rows = rowsOf<{
      id: string;
      business_id: string;
      title: string;
      source: KnowledgeSource;
      origin: string | null;
      status: KnowledgeStatus;
      characters: number;
      chunk_count: number;
      created_at: Date | string;
    }>(
      await this.db.execute(sql`
        select d.id, d.business_id, d.title, d.source, d.origin, d.status,
          (length(d.content) + coalesce((select sum(length(p.text)) from knowledge_document_parts p
                                         where p.document_id = d.id), 0))::int as characters,
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
      status: r.status,
      chunkCount: Number(r.chunk_count),
      characters: Number(r.characters),
      createdAt: new Date(r.created_at),
    }));
  }

  /**
   * What the business's searchable documents say, for the recognizer's vocabulary: titles,
   * distinct chunk headings, and the text of up to `maxChunks` chunks (newest documents first).
   */
  async vocabularySource(businessId: BusinessId, maxChunks = 400): Promise<TermSource> {
    const docs = rowsOf<{ title: string }>(
      await this.db.execute(sql`
        select title from knowledge_documents
        where business_id = ${businessId} and status = 'ready'`),
    );
    const chunks = rowsOf<{ heading: string | null; text: string }>(
      await this.db.execute(sql`
        select c.heading, c.text from knowledge_chunks c
        join knowledge_documents d on d.id = c.document_id
        where c.business_id = ${businessId} and d.status = 'ready'
        order by d.created_at desc, c.ordinal
        limit ${maxChunks}`),
    );
    return {
      titles: docs.map((d) => d.title),
      headings: [...new Set(chunks.map((c) => c.heading).filter((h): h is string => !!h))],
      texts: chunks.map((c) => c.text),
    };
  }

  /** Whether the document's stored text is exactly `content` (to skip re-indexing what did not change). */
  async contentEquals(id: string, content: string): Promise<boolean> {
    const rows = await this.db
      .select({ same: sql<boolean>`${knowledgeDocuments.content} = ${content}` })
      .from(knowledgeDocuments)
      .where(eq(knowledgeDocuments.id, id));
    return rows[0]?.same === true;
  }

  // ---- searching -------------------------------------------------------------------------------

  /**
   * The lexemes of the question and of its expansion, with how common each is in the business's
   * chunks, from the precomputed frequencies: one short statement.
   */
  async searchTerms(
    businessId: BusinessId,
    question: string,
    expanded: string,
    run: Runner = this.db,
  ): Promise<SearchTerms> {
    const rows = rowsOf<{ lexeme: string; df: number; asked: boolean; total: number | null }>(
      await run.execute(sql`
        with q as (select tsvector_to_array(to_tsvector('english', ${question})) as asked,
                          tsvector_to_array(to_tsvector('english', ${expanded})) as wide)
        select x as lexeme, coalesce(t.df, 0)::int as df, x = any(q.asked) as asked,
          (select df from knowledge_terms where business_id = ${businessId} and lexeme = '')::int as total
        from q, unnest(q.wide || q.asked) as x
          left join knowledge_terms t on t.business_id = ${businessId} and t.lexeme = x
        group by x, t.df, q.asked`),
    );
    const chunks = Number(rows[0]?.total ?? 0);
    const stat = (r: { lexeme: string; df: number }) => ({ lexeme: r.lexeme, df: Number(r.df) });
    return {
      question: { lexemes: rows.filter((r) => r.asked).map(stat), chunks },
      expanded: rows.map(stat),
    };
  }

  /** Chunks sharing a lexeme with the question, highest summed IDF first (ts_rank_cd breaks ties). */
  async fullTextCandidates(q: CandidateQuery, run: Runner = this.db): Promise<ChunkCandidate[]> {
    const present = q.lexemes.filter((l) => l.df > 0);
    if (present.length === 0) return [];
    // The match set comes from the rarest lexemes: a word in half the chunks adds little IDF but
    // would make every one of those chunks a candidate to weigh.
    const byRarity = [...present].sort((a, b) => a.df - b.df);
    const drawn: string[] = [];
    let drawnPostings = 0;
    for (const l of byRarity) {
      if (drawn.length > 0 && drawnPostings + l.df > this.maxMatches) break;
      drawn.push(l.lexeme);
      drawnPostings += l.df;
    }
    // Term at a time: each drawn lexeme's chunks from the GIN index (ids only, no tsvector read),
    // summed by IDF; rank and the full match list are read for the best few only. The business is
    // tested as `(...) is true` so the planner cannot take the business index instead of the GIN
    // one (without statistics, as on PGlite, it would, then read every chunk's tsvector).
    const idfOf = new Map(present.map((l) => [l.lexeme, l.idf]));
    const postings = sql.join(
      drawn.map(
        (l) => sql`select c.id, ${idfOf.get(l)}::float8 as idf from knowledge_chunks c
          where c.search @@ ${tsqueryLiteral(l)}::tsquery and (c.business_id = ${q.businessId}) is true`,
      ),
      sql` union all `,
    );
    const all = present.map((l) => tsqueryLiteral(l.lexeme)).join(' | ');
    const support = await this.vectorSupport();
    const similarity = similarityExpr(support, q.vector, q.model);
    const lexemes = pgArrayLiteral(present.map((l) => l.lexeme));
    const rows = rowsOf<CandidateRow>(
      await run.execute(sql`
        with top as materialized (
          select p.id, sum(p.idf) as drawn_weight from (${postings}) as p
          group by p.id order by drawn_weight desc, p.id limit ${q.limit * RERANK_FACTOR}
        ),
        scored as (
          select c.*, array(select x from unnest(${lexemes}::text[]) as x
                            where c.search @@ (quote_literal(x)::tsquery)) as matched
          from top join knowledge_chunks c on c.id = top.id
        )
        select c.id::float8 as chunk_id, c.document_id, d.title, d.source, c.heading, c.text,
          ts_rank_cd(c.search, ${all}::tsquery)::float8 as rank,
          (select coalesce(sum(w.idf), 0) from unnest(${lexemes}::text[], ${pgFloatArray(present.map((l) => l.idf))}::float8[]) as w(lexeme, idf)
            where w.lexeme = any(c.matched))::float8 as weight,
          ${similarity} as similarity, c.matched
        from scored c join knowledge_documents d on d.id = c.document_id and d.status = 'ready'
        order by weight desc, rank desc, c.id
        limit ${q.limit}`),
    );
    return rows.map(toCandidate);
  }

  /** The chunks nearest the question's vector (same embedder only), most similar first. */
  async vectorCandidates(q: CandidateQuery, run: Runner = this.db): Promise<ChunkCandidate[]> {
    if (!q.vector || !q.model) return [];
    const support = await this.vectorSupport();
    const similarity = similarityExpr(support, q.vector, q.model);
    const present = q.lexemes.filter((l) => l.df > 0);
    const lexemes = pgArrayLiteral(present.map((l) => l.lexeme));
    const all = present.map((l) => tsqueryLiteral(l.lexeme)).join(' | ');
    // A Hamming shortlist over the sign bits (a narrow column, no vector read), then exact
    // cosines for the shortlist only, then the text of the nearest.
    const rows = rowsOf<CandidateRow>(
      await run.execute(sql`
        with shortlist as materialized (
          select c.id from knowledge_chunks c
          where c.business_id = ${q.businessId} and c.embedding_model = ${q.model}
            and c.embedding_bits is not null and length(c.embedding_bits) = ${q.vector.length * 2}
          order by bit_count(c.embedding_bits # ${signBits(q.vector)}::varbit), c.id
          limit ${q.limit * SHORTLIST_FACTOR}
        ),
        nearest as materialized (
          select c.id, ${similarity} as similarity
          from shortlist s join knowledge_chunks c on c.id = s.id
            join knowledge_documents d on d.id = c.document_id and d.status = 'ready'
          order by similarity desc nulls last, c.id
          limit ${q.limit}
        )
        select c.id::float8 as chunk_id, c.document_id, d.title, d.source, c.heading, c.text,
          ${all ? sql`coalesce(ts_rank_cd(c.search, ${all}::tsquery), 0)::float8` : sql`0::float8`} as rank,
          0::float8 as weight, n.similarity,
          array(select x from unnest(${lexemes}::text[]) as x
                where c.search @@ (quote_literal(x)::tsquery)) as matched
        from nearest n join knowledge_chunks c on c.id = n.id join knowledge_documents d on d.id = c.document_id
        order by n.similarity desc nulls last, c.id`),
    );
    return rows.map(toCandidate);
  }
}

/** SQLSTATE 57014: the statement was cancelled (its timeout passed), looked for along the cause chain. */
function isQueryCanceled(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if ((e as { code?: unknown }).code === '57014') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

interface CandidateRow {
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
}

function toCandidate(r: CandidateRow): ChunkCandidate {
  return {
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
  };
}

function similarityExpr(support: VectorSupport, vector: Float32Array | null, model: string | null): SQL {
  if (!vector || !model) return sql`null::float8`;
  if (support === 'pgvector') {
    return sql`case when c.embedding_model = ${model}
      then (1 - (c.embedding::vector <=> ${pgvectorLiteral(vector)}::vector))::float8 end`;
  }
  // Stored vectors are unit length (KnowledgeBase normalises them), so the dot product is the cosine.
  return sql`case when c.embedding_model = ${model}
    then (select sum(e * v) from unnest(c.embedding, ${pgFloatArray(vector)}::real[]) as u(e, v))::float8 end`;
}

/** One lexeme as a tsquery operand: quoted, so PostgreSQL takes it as is (no parsing of & | !). */
function tsqueryLiteral(lexeme: string): string {
  return `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

function pgvectorLiteral(v: Float32Array): string {
  return `[${Array.from(v).join(',')}]`;
}

/** Sign bits as a bit-string literal: positives, then negatives (see the schema's embedding_bits). */
export function signBits(v: Float32Array): string {
  let pos = '';
  let neg = '';
  for (const x of v) {
    pos += x > 0 ? '1' : '0';
    neg += x < 0 ? '1' : '0';
  }
  return pos + neg;
}

function pgFloatArray(v: Float32Array | readonly number[]): string {
  return `{${Array.from(v).join(',')}}`;
}

/** A text[] literal; every element quoted. */
function pgArrayLiteral(xs: readonly string[]): string {
  return `{${xs.map((x) => `"${x.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/** node-postgres parses text[] into an array; a driver that does not hands over '{a,b}'. */
function parseTextArray(v: string[] | string | null): string[] {
  if (v === null) return [];
  if (Array.isArray(v)) return v;
  const inner = v.replace(/^\{|\}$/g, '');
  return inner ? inner.split(',').map((s) => s.replace(/^"|"$/g, '')) : [];
}
