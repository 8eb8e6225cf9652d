/** Why a document could not be added; each message is fit to show the person who sent it. */

export const SUPPORTED_TYPES = ['text/plain', 'text/markdown', 'text/html', 'application/pdf'] as const;

export class UnsupportedDocumentError extends Error {
  constructor(what: string) {
    super(
      `unsupported document type ${what}; supported: ${SUPPORTED_TYPES.join(', ')} (.txt, .md, .html, .pdf)`,
    );
    this.name = 'UnsupportedDocumentError';
  }
}

/** The file is of a supported type but could not be read (damaged PDF, encrypted PDF, binary in a text file). */
export class UnreadableDocumentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnreadableDocumentError';
  }
}

/** Nothing to index: no text at all once markup is gone (e.g. a scanned PDF, which would need OCR). */
export class EmptyDocumentError extends Error {
  constructor(message = 'the document has no text to index') {
    super(message);
    this.name = 'EmptyDocumentError';
  }
}

/**
 * A search ran past its time budget and was cut off (by the database's statement timeout on
 * PostgreSQL, between statements on PGlite). The caller is told the team will check instead.
 */
export class KnowledgeTimeoutError extends Error {
  constructor(
    readonly budgetMs: number,
    options?: { cause?: unknown },
  ) {
    super(`the knowledge search took longer than its ${budgetMs} ms budget`, options);
    this.name = 'KnowledgeTimeoutError';
  }
}

/** The errors a document's preparation can end with, by name (how they cross from a worker thread). */
export function documentErrorFromName(name: string, message: string): Error {
  switch (name) {
    case 'UnsupportedDocumentError': {
      const e = new UnsupportedDocumentError('');
      e.message = message;
      return e;
    }
    case 'UnreadableDocumentError':
      return new UnreadableDocumentError(message);
    case 'EmptyDocumentError':
      return new EmptyDocumentError(message);
    default:
      return new Error(message);
  }
}
