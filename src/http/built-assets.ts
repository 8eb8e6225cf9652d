import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

/**
 * Files built into dist/web/* (scripts/build-web.mjs: the dashboard, the browser call page, the
 * chat widget), served the one way all three need:
 *
 * - each file is read once and kept with a content hash, and read again only when its size or
 *   modification time changes, so a rebuild is served without a restart;
 * - the hash is the ETag, and a page names its assets `?v=<hash>`: an asset asked for with the
 *   hash it has now is cached for a year (immutable), anything else (no or an old hash) is
 *   `no-cache`, so an upgraded server is never shadowed by a stale file;
 * - a revalidation with the current ETag is answered 304.
 *
 * Each route keeps its own headers (CSP, CORS, permissions) and its own "not built" answer.
 */

/** dist/web/<name>/ from here: src/http under vitest and tsx, dist/http when built. */
export function builtWebDir(name: string): string {
  return fileURLToPath(new URL(`../../dist/web/${name}/`, import.meta.url));
}

export interface BuiltAsset {
  body: Buffer;
  /** First 16 hex of the content's SHA-256: the ETag and the `?v=` that makes it immutable. */
  hash: string;
}

/** A built file's name: no folders, no dot files, only the kinds the build writes. */
export const assetNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][\w-]*(\.[\w-]+)*\.(js|css|map)$/, 'not an asset name');

/** The schema of an `…/assets/:file?v=<hash>` route (hidden from /openapi.json). */
export const assetRouteSchema = {
  hide: true,
  params: z.object({ file: assetNameSchema }),
  querystring: z.object({ v: z.string().max(64).optional() }),
};

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** The files of one built folder, by name. Names come from routes checked by `assetNameSchema`. */
export class BuiltAssets {
  private readonly cache = new Map<string, BuiltAsset & { key: string }>();

  constructor(readonly dir: string) {}

  /** The file as it is on disk now, or null when it is absent (not built). */
  async load(name: string): Promise<BuiltAsset | null> {
    try {
      const s = await stat(path.join(this.dir, name));
      if (!s.isFile()) return null;
      // Size and modification time: the file is read again when either changes.
      const key = `${s.size}:${s.mtimeMs}`;
      const known = this.cache.get(name);
      if (known?.key === key) return known;
      const body = await readFile(path.join(this.dir, name));
      const asset = { body, key, hash: createHash('sha256').update(body).digest('hex').slice(0, 16) };
      this.cache.set(name, asset);
      return asset;
    } catch {
      this.cache.delete(name);
      return null;
    }
  }
}

/** What our own pages (the dashboard, the call page) and their assets carry: no sniffing, no framing. */
export function pageSecurityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('x-frame-options', 'DENY');
}

/** The request's `?v=` when it is one string. */
function versionOf(query: unknown): string | undefined {
  const v = (query as { v?: unknown } | undefined)?.v;
  return typeof v === 'string' ? v : undefined;
}

/**
 * Sends `asset` (named `name`, for its content type) with its ETag and caching: immutable for a
 * year when asked for by its current hash, else `no-cache`; 304 when the client has it. The
 * route sets its own headers on `reply` first.
 */
export function sendAsset(
  req: Pick<FastifyRequest, 'headers' | 'query'>,
  reply: FastifyReply,
  name: string,
  asset: BuiltAsset,
): FastifyReply {
  const etag = `"${asset.hash}"`;
  reply
    .header('etag', etag)
    .header(
      'cache-control',
      versionOf(req.query) === asset.hash ? 'public, max-age=31536000, immutable' : 'no-cache',
    )
    .type(TYPES[path.extname(name)] ?? 'application/octet-stream');
  if (req.headers['if-none-match'] === etag) return reply.code(304).send();
  return reply.send(asset.body);
}
