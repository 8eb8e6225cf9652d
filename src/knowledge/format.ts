import { UnsupportedDocumentError } from './errors.js';

export const DOCUMENT_FORMATS = ['text', 'markdown', 'html', 'pdf'] as const;
export type DocumentFormat = (typeof DOCUMENT_FORMATS)[number];

const BY_MIME: Record<string, DocumentFormat> = {
  'text/plain': 'text',
  'text/markdown': 'markdown',
  'text/x-markdown': 'markdown',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'application/pdf': 'pdf',
  'application/x-pdf': 'pdf',
};

const BY_EXTENSION: Record<string, DocumentFormat> = {
  txt: 'text',
  text: 'text',
  md: 'markdown',
  markdown: 'markdown',
  mdown: 'markdown',
  html: 'html',
  htm: 'html',
  xhtml: 'html',
  pdf: 'pdf',
};

/** Generic types that say nothing about the content: the file name or the bytes decide. */
const GENERIC = new Set(['', 'application/octet-stream', 'binary/octet-stream']);

/**
 * The format of an upload, from its media type, else its file name's extension, else its first
 * bytes (a PDF starts with "%PDF-"). A specific media type wins, except that text/plain with a
 * Markdown file name is Markdown (browsers and curl send .md files as text/plain).
 */
export function detectFormat(input: {
  mime?: string | undefined;
  filename?: string | undefined;
  bytes?: Uint8Array;
}): DocumentFormat {
  const mime = (input.mime ?? '').split(';')[0]!.trim().toLowerCase();
  const ext = /\.([a-z0-9]+)$/i.exec(input.filename ?? '')?.[1]?.toLowerCase();
  const fromExt = ext ? BY_EXTENSION[ext] : undefined;
  if (!GENERIC.has(mime)) {
    const fromMime = BY_MIME[mime];
    if (!fromMime) throw new UnsupportedDocumentError(`"${mime}"`);
    return fromMime === 'text' && fromExt === 'markdown' ? 'markdown' : fromMime;
  }
  if (fromExt) return fromExt;
  if (input.bytes && startsWithPdfMagic(input.bytes)) return 'pdf';
  if (ext) throw new UnsupportedDocumentError(`".${ext}"`);
  throw new UnsupportedDocumentError('(no media type or file name given)');
}

function startsWithPdfMagic(b: Uint8Array): boolean {
  return b.length >= 5 && b[0] === 0x25 && b[1] === 0x50 && b[2] === 0x44 && b[3] === 0x46 && b[4] === 0x2d;
}

/** The media type to send for a format (the command-line tool uploads with it). */
export function mimeOf(format: DocumentFormat): string {
  return { text: 'text/plain', markdown: 'text/markdown', html: 'text/html', pdf: 'application/pdf' }[format];
}
