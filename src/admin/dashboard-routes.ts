import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError } from '../http/errors.js';

/**
 * The owner's dashboard in the browser: GET /admin and every /admin/* address answer the one
 * HTML page (the app routes in the browser), and /admin/assets/* the built bundle
 * (scripts/build-web.mjs -> dist/web/admin).
 *
 * Caching: the page links `app.js?v=<content hash>`. An asset asked for with the hash it has now
 * is cached for a year (immutable): a reload costs no request. Anything else (no or an old hash)
 * is `no-cache` with an ETag, so an upgraded server is never shadowed by a stale bundle. The
 * page itself is `no-cache`: it is what carries the current hash.
 */

/** dist/web/admin from this file: src/admin under vitest and tsx, dist/admin when built. */
export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('../../dist/web/admin/', import.meta.url));

export interface DashboardRoutesOptions {
  /** Where the built app.js and app.css are (tests point elsewhere). */
  assetsDir?: string;
}

const CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "media-src 'self'",
  "connect-src 'self'",
  "style-src 'self'",
  "script-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** A built file's name: no folders, no dot files, only the kinds the build writes. */
const assetName = z.string().regex(/^[A-Za-z0-9][\w-]*(\.[\w-]+)*\.(js|css|map)$/, 'not an asset name');

interface Asset {
  body: Buffer;
  hash: string;
  /** Size and modification time: the file is read again when either changes. */
  key: string;
}

const NOT_BUILT = 'The dashboard is not built: run npm run build.';

export function registerDashboardRoutes(app: FastifyInstance, opts: DashboardRoutesOptions = {}): void {
  const dir = opts.assetsDir ?? DEFAULT_ASSETS_DIR;
  const api = app.withTypeProvider<ZodTypeProvider>();
  const cache = new Map<string, Asset>();

  /** The file as it is on disk now, or null when absent. */
  async function load(name: string): Promise<Asset | null> {
    const file = path.join(dir, name);
    try {
      const s = await stat(file);
      if (!s.isFile()) return null;
      const key = `${s.size}:${s.mtimeMs}`;
      const known = cache.get(name);
      if (known?.key === key) return known;
      const body = await readFile(file);
      const asset = { body, key, hash: createHash('sha256').update(body).digest('hex').slice(0, 16) };
      cache.set(name, asset);
      return asset;
    } catch {
      cache.delete(name);
      return null;
    }
  }

  function secure(reply: FastifyReply): FastifyReply {
    return reply
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'same-origin')
      .header('x-frame-options', 'DENY');
  }

  async function page(_req: unknown, reply: FastifyReply): Promise<string> {
    const [js, css] = await Promise.all([load('app.js'), load('app.css')]);
    if (!js || !css) throw new ApiError(503, 'dashboard_not_built', NOT_BUILT);
    secure(reply)
      .header('content-security-policy', CSP)
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8');
    return html(js.hash, css.hash);
  }

  const hidden = { schema: { hide: true } };
  api.get('/admin', hidden, page);
  api.get('/admin/*', hidden, page);

  api.get(
    '/admin/assets/:file',
    {
      schema: {
        hide: true,
        params: z.object({ file: assetName }),
        querystring: z.object({ v: z.string().max(64).optional() }),
      },
    },
    async (req, reply) => {
      const name = req.params.file;
      const asset = await load(name);
      if (!asset) {
        const built = await load('app.js');
        if (!built) throw new ApiError(503, 'dashboard_not_built', NOT_BUILT);
        throw new ApiError(404, 'not_found', 'No such dashboard file.');
      }
      const etag = `"${asset.hash}"`;
      secure(reply)
        .header('etag', etag)
        .header(
          'cache-control',
          req.query.v === asset.hash ? 'public, max-age=31536000, immutable' : 'no-cache',
        )
        .type(TYPES[path.extname(name)] ?? 'application/octet-stream');
      if (req.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.send(asset.body);
    },
  );
}

/** The page: everything else is drawn by app.js (no inline script or style: the CSP forbids them). */
function html(jsHash: string, cssHash: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>Switchboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/admin/assets/app.css?v=${cssHash}">
<script type="module" src="/admin/assets/app.js?v=${jsHash}"></script>
</head>
<body>
<div id="app"></div>
<noscript><p>The Switchboard dashboard needs JavaScript. The API (/api, described at /docs) works without it.</p></noscript>
</body>
</html>
`;
}
