export {
  KnowledgeBase,
  FAQ_TITLE,
  type AddDocumentInput,
  type AddedDocument,
  type DetailedHit,
  type KnowledgeBaseOptions,
  type KnowledgeHit,
  type SearchMode,
} from './knowledge-base.js';
export {
  KnowledgeRepo,
  type KnowledgeDocumentSummary,
  type KnowledgeRepoOptions,
  type VectorSupport,
} from './knowledge-repo.js';
export {
  EmptyDocumentError,
  KnowledgeTimeoutError,
  SUPPORTED_TYPES,
  UnreadableDocumentError,
  UnsupportedDocumentError,
} from './errors.js';
export { detectFormat, mimeOf, DOCUMENT_FORMATS, type DocumentFormat } from './format.js';
export { extractDocument } from './extract.js';
export { chunkDocument, type ChunkOptions, type DocumentChunk } from './chunk.js';
export type { Block, ExtractedDocument } from './blocks.js';
export { knowledgeTerms, type TermSource } from './terms.js';
