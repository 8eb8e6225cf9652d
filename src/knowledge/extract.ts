import { type ExtractedDocument } from './blocks.js';
import { EmptyDocumentError, UnreadableDocumentError } from './errors.js';
import type { DocumentFormat } from './format.js';
import { htmlToBlocks } from './html.js';
import { markdownToBlocks } from './markdown.js';
import { pdfToBlocks } from './pdf.js';
import { linesToBlocks } from './text-blocks.js';

/** Text or file bytes of a known format to headings and paragraphs. Throws the errors in errors.ts. */
export async function extractDocument(input: {
  format: DocumentFormat;
  text?: string;
  bytes?: Uint8Array;
}): Promise<ExtractedDocument> {
  const { format } = input;
  let doc: ExtractedDocument;
  if (format === 'pdf') {
    if (!input.bytes) throw new UnreadableDocumentError('a PDF must be sent as a file, not as text');
    doc = await pdfToBlocks(input.bytes);
  } else {
    const text = input.text ?? decodeText(input.bytes ?? new Uint8Array());
    doc =
      format === 'html'
        ? htmlToBlocks(text)
        : format === 'markdown'
          ? markdownToBlocks(text)
          : { blocks: linesToBlocks(text) };
  }
  if (!doc.blocks.some((b) => b.kind === 'text')) throw new EmptyDocumentError();
  return doc;
}

/** UTF-8 (a BOM dropped); bytes with NULs are not text, whatever the label says. */
export function decodeText(bytes: Uint8Array): string {
  if (bytes.includes(0)) throw new UnreadableDocumentError('the file is binary, not text (check its type)');
  return new TextDecoder('utf-8').decode(bytes).replace(/^\uFEFF/, '');
}
