import { extractText, getDocumentProxy } from 'unpdf';
import type { ExtractedDocument } from './blocks.js';
import { EmptyDocumentError, UnreadableDocumentError } from './errors.js';
import { linesToBlocks } from './text-blocks.js';

/**
 * PDF text with unpdf (PDF.js built for servers: no worker, no canvas, no network). Each page's
 * lines go through the plain-text rules (headings guessed from short lines, wrapped lines joined).
 * A PDF with pages but no text is a scan: say so rather than index nothing.
 */
export async function pdfToBlocks(bytes: Uint8Array): Promise<ExtractedDocument> {
  let pages: string[];
  let title: string | undefined;
  try {
    // PDF.js takes ownership of (detaches) the buffer it is given: hand it a copy.
    const pdf = await getDocumentProxy(new Uint8Array(bytes));
    try {
      pages = (await extractText(pdf, { mergePages: false })).text;
      const meta = await pdf.getMetadata().catch(() => undefined);
      const t = (meta?.info as { Title?: unknown } | undefined)?.Title;
      if (typeof t === 'string' && t.trim()) title = t.trim();
    } finally {
      await pdf.destroy();
    }
  } catch (err) {
    const reason =
      (err as Error).name === 'PasswordException' ? 'it is password-protected' : (err as Error).message;
    throw new UnreadableDocumentError(`could not read the PDF: ${reason}`, { cause: err });
  }
  const blocks = pages.flatMap((p) => linesToBlocks(p));
  if (blocks.length === 0 && pages.length > 0) {
    throw new EmptyDocumentError(
      'the PDF has no text layer (a scan?); Switchboard does not read text from images',
    );
  }
  return title ? { blocks, title } : { blocks };
}
