import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import {
  assetRouteSchema,
  BuiltAssets,
  builtWebDir,
  pageSecurityHeaders,
  sendAsset,
} from '../http/built-assets.js';
import { ApiError } from '../http/errors.js';

/**
 * The owner's dashboard in the browser: GET /admin and every /admin/* address answer the one
 * HTML page (the app routes in the browser), and /admin/assets/* the built bundle
 * (scripts/build-web.mjs -> dist/web/admin).
 *
 * Caching (http/built-assets.ts): the page links `app.js?v=<content hash>`. An asset asked for
 * with the hash it has now is cached for a year (immutable): a reload costs no request. Anything
 * else is `no-cache` with an ETag. The page itself is `no-cache`: it is what carries the current
 * hash.
 */

/** dist/web/admin. */
export const DEFAULT_ASSETS_DIR = builtWebDir('admin');

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

const NOT_BUILT = 'The dashboard is not built: run npm run build.';

export function registerDashboardRoutes(app: FastifyInstance, opts: DashboardRoutesOptions = {}): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const assets = new BuiltAssets(opts.assetsDir ?? DEFAULT_ASSETS_DIR);

  async function page(_req: unknown, reply: FastifyReply): Promise<string> {
    const [js, css] = await Promise.all([assets.load('app.js'), assets.load('app.css')]);
    if (!js || !css) throw new ApiError(503, 'dashboard_not_built', NOT_BUILT);
    pageSecurityHeaders(reply)
      .header('content-security-policy', CSP)
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8');
    return html(js.hash, css.hash);
  }

  const hidden = { schema: { hide: true } };
  api.get('/admin', hidden, page);
  api.get('/admin/*', hidden, page);

  api.get('/admin/assets/:file', { schema: assetRouteSchema }, async (req, reply) => {
    const name = req.params.file;
    const asset = await assets.load(name);
    if (!asset) {
      const built = await assets.load('app.js');
      if (!built) throw new ApiError(503, 'dashboard_not_built', NOT_BUILT);
      throw new ApiError(404, 'not_found', 'No such dashboard file.');
    }
    return sendAsset(req, pageSecurityHeaders(reply), name, asset);
  });
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
