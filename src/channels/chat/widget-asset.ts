import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/web/widget from this file: src/channels/chat under vitest and tsx, dist/channels/chat when built. */
export const DEFAULT_WIDGET_DIR = fileURLToPath(new URL('../../../dist/web/widget/', import.meta.url));

export interface BuiltFile {
  body: Buffer;
  /** First 16 hex of the content's SHA-256: the ETag and the `?v=` that makes it immutable. */
  hash: string;
}

/**
 * One built file, read again only when its size or modification time changes (the dashboard's
 * assets do the same), so a rebuilt widget is served without a restart.
 */
export class BuiltFileCache {
  private known: (BuiltFile & { key: string }) | undefined;

  constructor(private readonly file: string) {}

  static in(dir: string, name: string): BuiltFileCache {
    return new BuiltFileCache(path.join(dir, name));
  }

  /** The file as it is on disk now, or null when it is not built. */
  async load(): Promise<BuiltFile | null> {
    try {
      const s = await stat(this.file);
      if (!s.isFile()) return null;
      const key = `${s.size}:${s.mtimeMs}`;
      if (this.known?.key === key) return this.known;
      const body = await readFile(this.file);
      this.known = { body, key, hash: createHash('sha256').update(body).digest('hex').slice(0, 16) };
      return this.known;
    } catch {
      this.known = undefined;
      return null;
    }
  }
}
