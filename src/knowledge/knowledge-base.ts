import type { Faq } from '../business/index.js';
import type { BusinessId } from '../ids.js';
import { l2Normalize, type Embedder } from '../providers/embed/index.js';
import type { KnowledgeSource } from '../store/schema/index.js';
import { blocksToText, squash, type Block } from './blocks.js';
import { HEADING_SEPARATOR, type ChunkOptions } from './chunk.js';
import { DocumentWorker } from './document-worker.js';
import { KnowledgeTimeoutError } from './errors.js';
import { detectFormat, type DocumentFormat } from './format.js';
import type {
  ChunkCandidate,
  KnowledgeDocumentSummary,
  KnowledgeRepo,
  NewKnowledgeChunk,
  NewKnowledgeDocument,
} from './knowledge-repo.js';
import { bestPassage } from './passage.js';
import { prepareDocument, type PrepareInput } from './prepare.js';
import { expandQuery, searchableText } from './query-text.js';
import {
  coverage,
  DEFAULT_MIN_COVERAGE,
  defaultMinSimilarity,
  isRelevant,
  lexemeWeights,
  type RelevanceOptions,
} from './relevance.js';
import { reciprocalRankFusion } from './rrf.js';
import { knowledgeTerms } from './terms.js';

/**
 * The knowledge base as the rest of Switchboard uses it: add a document (text, Markdown, HTML or
 * PDF) and it is extracted, chunked, embedded and stored; search a business's knowledge with a
 * caller's question and get passages to quote, best first, or nothing when nothing is relevant.
 * The business profile's FAQ is indexed beside the documents on request.
 *
 * Nothing here may hold a live call up: a large document is parsed and chunked in a worker
 * thread, embedded in batches with a yield between them, and stored in short transactions
 * (status 'indexing' until the last batch, then 'ready'); a search during a call has a time
 * budget (`searchTimeoutMs`) past which it fails with KnowledgeTimeoutError.
 */

/** Structurally the agent's KnowledgeHit (src/agent/tools.ts), so it plugs into AgentTools as is. */
export interface KnowledgeHit {
  /** Verbatim from the chunk, starting at the sentence that best matches the question. */
  text: string;
  /** "Document title > Section", or the FAQ question. */
  title?: string;
  /** Reciprocal-rank-fusion score: higher is better, comparable within one search only. */
  score: number;
}

export type SearchMode = 'hybrid' | 'fulltext' | 'vector';

export interface DetailedHit extends KnowledgeHit {
  documentId: string;
  chunkId: number;
  source: KnowledgeSource;
  /** The whole chunk. */
  chunk: string;
  /** ts_rank_cd (0 when no lexeme matched). */
  rank: number;
  similarity: number | null;
  /** IDF-weighted share of the question's terms the chunk contains, 0..1. */
  coverage: number;
  relevant: boolean;
}

export interface AddDocumentInput {
  businessId: BusinessId;
  /** Defaults to the document's own title (HTML <title>, Markdown h1, PDF metadata), else the file name. */
  title?: string | undefined;
  /** Text as sent (JSON): plain text unless `format` says otherwise. */
  content?: string | undefined;
  format?: DocumentFormat | undefined;
  /** An uploaded file; its format comes from `mime`, else `filename`, else its first bytes. */
  file?: { bytes: Uint8Array; mime?: string | undefined; filename?: string | undefined } | undefined;
  origin?: string | undefined;
}

export interface AddedDocument {
  id: string;
  title: string;
  source: KnowledgeSource;
  chunkCount: number;
}

export interface KnowledgeBaseOptions extends RelevanceOptions {
  chunking?: ChunkOptions;
  /** Candidates fetched from each list before fusion. Default 20. */
  candidates?: number;
  /**
   * Weight of the vector list in the fusion (full text has 1). Default 0.25 for the hashing
   * embedder, whose vectors measure shared words, as full text does, only worse (bench/kb.bench.ts);
   * 1 for a real model, whose vectors know paraphrases.
   */
  vectorWeight?: number;
  /** Texts per embed() call when adding. Default 32. */
  embedBatch?: number;
  /** Budget of one search() (the call path), in ms. Default 300. */
  searchTimeoutMs?: number;
  /**
   * Documents at least this big (characters or bytes) are prepared in a worker thread and stored
   * in batches; smaller ones on the event loop in one transaction (cheaper than starting a
   * worker). Default 64 KiB.
   */
  workerThreshold?: number;
  /**
   * Chunks per transaction when a large document is stored. Default 4: on PGlite a chunk's
   * insert (tsvector, GIN entries, vector) costs a few milliseconds, and the event loop waits
   * for each statement.
   */
  storeBatch?: number;
}

export const FAQ_TITLE = 'Frequently asked questions';

function defaultVectorWeight(embedderName: string): number {
  return embedderName.startsWith('hashing') ? 0.25 : 1;
}

export class KnowledgeBase {
  private readonly worker = new DocumentWorker();
  private readonly model: string;
  private readonly minCoverage: number;
  private readonly minSimilarity: number;
  private readonly vectorWeight: number;

  constructor(
    private readonly deps: { repo: KnowledgeRepo; embedder: Embedder },
    private readonly opts: KnowledgeBaseOptions = {},
  ) {
    // The name and the length: one endpoint's model at another length is another vector space.
    this.model = `${deps.embedder.name}/${deps.embedder.dimensions}`;
    this.minCoverage = opts.minCoverage ?? DEFAULT_MIN_COVERAGE;
    this.minSimilarity = opts.minSimilarity ?? defaultMinSimilarity(deps.embedder.name);
    this.vectorWeight = opts.vectorWeight ?? defaultVectorWeight(deps.embedder.name);
  }

  /**
   * Adds a document; resolves once it is stored and searchable. A large one is prepared in a
   * worker thread and stored in batches; if that fails or `signal` aborts, what was stored of it
   * is removed again.
   */
  async add(
    input: AddDocumentInput,
    signal: AbortSignal = new AbortController().signal,
  ): Promise<AddedDocument> {
    const format: DocumentFormat = input.file
      ? detectFormat({ mime: input.file.mime, filename: input.file.filename, bytes: input.file.bytes })
      : (input.format ?? 'text');
    const size = input.file ? input.file.bytes.length : (input.content ?? '').length;
    const prepareInput: PrepareInput = {
      format,
      text: input.file ? undefined : (input.content ?? ''),
      bytes: input.file?.bytes,
      title: input.title,
      filename: input.file?.filename,
      chunking: this.opts.chunking,
    };
    const source: KnowledgeSource = format;
    const origin = input.origin ?? input.file?.filename ?? null;
    if (size < (this.opts.workerThreshold ?? 64 * 1024)) {
      const prepared = await prepareDocument(prepareInput);
      const doc = await this.embedAll(
        { businessId: input.businessId, title: prepared.title, source, origin, content: prepared.content },
        prepared.chunks,
        signal,
      );
      signal.throwIfAborted();
      const saved = await this.deps.repo.add(doc);
      return { id: saved.id, title: prepared.title, source, chunkCount: saved.chunkCount };
    }
    const prepared = await this.worker.prepare(prepareInput, signal);
    const head = {
      businessId: input.businessId,
      title: prepared.title,
      source,
      origin,
      content: prepared.content,
      embeddingModel: this.model,
    };
    const id = await this.deps.repo.begin(head);
    try {
      const batch = Math.max(1, this.opts.storeBatch ?? 4);
      for (let i = 0; i < prepared.chunks.length; i += batch) {
        const started = performance.now();
        const embedded = await this.embed(prepared.chunks.slice(i, i + batch), signal);
        signal.throwIfAborted();
        await this.deps.repo.append(id, head, embedded, i);
        // Rest as long as the batch worked (at most half the event loop's and the embedded
        // database's time goes to indexing): calls' timers and writes get in between.
        const worked = performance.now() - started;
        await new Promise((resolve) => setTimeout(resolve, Math.min(worked, 100)));
      }
      if (!(await this.deps.repo.finish(id)))
        throw new Error('the document was deleted while it was indexed');
    } catch (err) {
      await this.deps.repo.delete(id).catch(() => undefined);
      throw err;
    }
    return { id, title: prepared.title, source, chunkCount: prepared.chunks.length };
  }

  /** Documents left half-stored by a crash (see KnowledgeRepo.removeInterrupted). */
  removeInterrupted(staleMs = 120_000): Promise<number> {
    return this.deps.repo.removeInterrupted(staleMs);
  }

  /** One document's summary, its status included. */
  get(id: string, businessId?: BusinessId): Promise<KnowledgeDocumentSummary | undefined> {
    return this.deps.repo.get(id, businessId);
  }

  /**
   * Indexes the business profile's FAQ as one document of source 'faq', one chunk per entry
   * (the question as its heading, the answer as its text, so the answer is what gets quoted).
   * Replaces whatever FAQ was indexed before; an unchanged FAQ is left alone.
   */
  async syncFaq(
    businessId: BusinessId,
    faq: readonly Faq[],
    signal: AbortSignal = new AbortController().signal,
  ): Promise<{ changed: boolean; chunkCount: number }> {
    const entries = faq
      .map((f) => ({ question: squash(f.question), answer: squash(f.answer) }))
      .filter((f) => f.question && f.answer);
    const blocks: Block[] = entries.flatMap((f) => [
      { kind: 'heading' as const, level: 1, text: f.question },
      { kind: 'text' as const, text: f.answer },
    ]);
    const content = blocksToText(blocks);
    const existing = await this.deps.repo.list(businessId, { source: 'faq' });
    if (existing.length === 1 && existing[0]!.characters === content.length) {
      const same = await this.deps.repo.contentEquals(existing[0]!.id, content);
      if (same) return { changed: false, chunkCount: existing[0]!.chunkCount };
    }
    if (entries.length === 0) {
      await this.deps.repo.replaceSource(businessId, 'faq', []);
      return { changed: existing.length > 0, chunkCount: 0 };
    }
    const doc = await this.embedAll(
      { businessId, title: FAQ_TITLE, source: 'faq', origin: 'business profile', content },
      entries.map((f) => ({ heading: `${FAQ_TITLE}${HEADING_SEPARATOR}${f.question}`, text: f.answer })),
      signal,
    );
    signal.throwIfAborted();
    const [saved] = await this.deps.repo.replaceSource(businessId, 'faq', [doc]);
    return { changed: true, chunkCount: saved?.chunkCount ?? 0 };
  }

  list(businessId?: BusinessId): Promise<KnowledgeDocumentSummary[]> {
    return this.deps.repo.list(businessId);
  }

  /** The words the business's knowledge is about (see knowledgeTerms), for the recognizer. */
  async terms(businessId: BusinessId): Promise<string[]> {
    return knowledgeTerms(await this.deps.repo.vocabularySource(businessId));
  }

  delete(id: string, businessId?: BusinessId): Promise<boolean> {
    return this.deps.repo.delete(id, businessId);
  }

  /**
   * Passages that answer `query`, best first; empty when nothing relevant is known. Within the
   * search budget (`searchTimeoutMs`), or rejects with KnowledgeTimeoutError.
   */
  async search(
    businessId: BusinessId,
    query: string,
    k: number,
    signal: AbortSignal,
  ): Promise<KnowledgeHit[]> {
    const hits = await this.searchDetailed(
      businessId,
      query,
      { k, budgetMs: this.opts.searchTimeoutMs ?? 300 },
      signal,
    );
    return hits.map(({ text, title, score }) => (title ? { text, title, score } : { text, score }));
  }

  /**
   * The search with its workings (ranks, similarity, coverage), for the admin API and the
   * benchmark. `includeIrrelevant` keeps candidates the relevance gate would drop.
   */
  async searchDetailed(
    businessId: BusinessId,
    query: string,
    opts: { k?: number; mode?: SearchMode; includeIrrelevant?: boolean; budgetMs?: number },
    signal: AbortSignal,
  ): Promise<DetailedHit[]> {
    const k = Math.max(1, opts.k ?? 3);
    const mode = opts.mode ?? 'hybrid';
    const text = searchableText(query);
    if (!text) return [];
    signal.throwIfAborted();
    // Once per repository (it may create the extension): not part of any one search's budget.
    await this.deps.repo.vectorSupport();
    const budgetMs = opts.budgetMs ?? 10_000;
    const deadline = performance.now() + budgetMs;
    const vector =
      mode === 'fulltext' ? null : l2Normalize((await this.deps.embedder.embed([text], signal))[0]!);
    const limit = Math.max(this.opts.candidates ?? 20, k);
    // Checked between statements: PGlite cannot interrupt one (PostgreSQL's own timeout does).
    const check = () => {
      signal.throwIfAborted();
      if (performance.now() > deadline) throw new KnowledgeTimeoutError(budgetMs);
    };
    check();
    const { terms, fulltext, nearest } = await this.deps.repo.withinBudget(
      deadline - performance.now(),
      budgetMs,
      async (run) => {
        const found = await this.deps.repo.searchTerms(businessId, text, expandQuery(text), run);
        check();
        const n = Math.max(found.question.chunks, 1);
        const lexemes = found.expanded.map((l) => ({ ...l, idf: idf(n, l.df) }));
        const q = { businessId, lexemes, vector, model: this.model, limit };
        const fulltext = mode === 'vector' ? [] : await this.deps.repo.fullTextCandidates(q, run);
        check();
        const nearest = mode === 'fulltext' ? [] : await this.deps.repo.vectorCandidates(q, run);
        check();
        return { terms: found.question, fulltext, nearest };
      },
    );
    const weights = lexemeWeights(terms);
    const gate = { minCoverage: this.minCoverage, minSimilarity: this.minSimilarity };
    const fused = reciprocalRankFusion<ChunkCandidate>([fulltext, nearest], (c) => c.chunkId, {
      weights: [1, this.vectorWeight],
    });
    const out: DetailedHit[] = [];
    for (const f of fused) {
      const c = f.item;
      const relevant = isRelevant(c, weights, gate);
      // The list is cut at the first passage judged irrelevant: one ranked below it that passes
      // the gate is more likely a stray word match than a better answer.
      if (!relevant && !opts.includeIrrelevant) break;
      out.push({
        text: bestPassage(c.text, text),
        title:
          c.source === 'faq'
            ? c.heading!.slice(FAQ_TITLE.length + HEADING_SEPARATOR.length)
            : (c.heading ?? c.title),
        score: f.score,
        documentId: c.documentId,
        chunkId: c.chunkId,
        source: c.source,
        chunk: c.text,
        rank: c.rank,
        similarity: c.similarity,
        coverage: coverage(c, weights),
        relevant,
      });
      if (out.length >= k) break;
    }
    return out;
  }

  /** Embeds each chunk with its heading (context a passage alone lacks) and builds the row set. */
  private async embedAll(
    doc: Omit<NewKnowledgeDocument, 'chunks' | 'embeddingModel'>,
    chunks: readonly { heading: string; text: string }[],
    signal: AbortSignal,
  ): Promise<NewKnowledgeDocument> {
    return { ...doc, embeddingModel: this.model, chunks: await this.embed(chunks, signal) };
  }

  /** In batches, yielding to the event loop between them (an in-process embedder computes on it). */
  private async embed(
    chunks: readonly { heading: string; text: string }[],
    signal: AbortSignal,
  ): Promise<NewKnowledgeChunk[]> {
    const inputs = chunks.map((c) => `${c.heading}\n${c.text}`);
    const batch = Math.max(1, this.opts.embedBatch ?? 32);
    const vectors: Float32Array[] = [];
    for (let i = 0; i < inputs.length; i += batch) {
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      vectors.push(...(await this.deps.embedder.embed(inputs.slice(i, i + batch), signal)));
    }
    return chunks.map((c, i) => ({
      heading: c.heading,
      text: c.text,
      embedding: l2Normalize(vectors[i]!),
    }));
  }
}

/** BM25's IDF, floored at a small positive value (as relevance.ts weighs the question's lexemes). */
function idf(chunks: number, df: number): number {
  return Math.max(0.05, Math.log(1 + (chunks - df + 0.5) / (df + 0.5)));
}
