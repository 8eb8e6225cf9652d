import { blocksToText, squash } from './blocks.js';
import { chunkDocument, type ChunkOptions } from './chunk.js';
import { EmptyDocumentError } from './errors.js';
import { extractDocument } from './extract.js';
import type { DocumentFormat } from './format.js';
import { storableText } from '../shared/index.js';

/**
 * A document from what was sent to what is stored: extracted, titled and cut into chunks (not yet
 * embedded). Pure and self-contained, so it runs on the event loop for a small document and in a
 * worker thread (prepare-worker.ts) for a large one.
 */

export interface PrepareInput {
  format: DocumentFormat;
  /** Text as sent (JSON), or the file's bytes. */
  text?: string | undefined;
  bytes?: Uint8Array | undefined;
  title?: string | undefined;
  filename?: string | undefined;
  chunking?: ChunkOptions | undefined;
}

export interface PreparedDocument {
  title: string;
  /** The extracted plain text the chunks were cut from. */
  content: string;
  chunks: { heading: string; text: string }[];
}

export async function prepareDocument(input: PrepareInput): Promise<PreparedDocument> {
  const extracted = await extractDocument(
    input.bytes
      ? { format: input.format, bytes: input.bytes }
      : { format: input.format, text: input.text ?? '' },
  );
  // What is stored must be storable: a NUL or lone surrogate in the text would fail the insert.
  const title =
    storableText(squash(input.title ?? '')) ||
    extracted.title ||
    (input.filename ? input.filename.replace(/\.[^.]+$/, '') : '') ||
    'Untitled';
  const chunks = chunkDocument(title, extracted.blocks, input.chunking);
  if (chunks.length === 0) throw new EmptyDocumentError();
  return {
    title,
    content: storableText(blocksToText(extracted.blocks)),
    chunks: chunks.map((c) => ({ heading: storableText(c.heading), text: storableText(c.text) })),
  };
}
