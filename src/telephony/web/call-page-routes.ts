import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  assetRouteSchema,
  BuiltAssets,
  builtWebDir,
  pageSecurityHeaders,
  sendAsset,
} from '../../http/built-assets.js';
import { ApiError } from '../../http/errors.js';

/**
 * The browser call's page: GET /call?room=NAME answers one HTML page whose script
 * (web/call/src/call.ts, built by scripts/build-web.mjs into dist/web/call) asks for the
 * microphone, joins the room and talks to the agent over GET /room/:name/media. Its audio
 * worklet is a file of its own (/call/assets/audio-worklet.js). Served the way the dashboard
 * is (http/built-assets.ts): the page names each asset with its content hash; an asset asked for
 * with its current hash is cached for a year, anything else revalidates.
 */

/** dist/web/call. */
export const DEFAULT_CALL_ASSETS_DIR = builtWebDir('call');

export interface CallPageRoutesOptions {
  /** Where the built call.js, call.css and audio-worklet.js are (tests point elsewhere). */
  assetsDir?: string;
}

/** Only our own origin: scripts, the worklet module, the socket; `blob:` media for playback. */
export const CALL_PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self'",
  "connect-src 'self'",
  "media-src 'self' blob:",
  "style-src 'self'",
  "img-src 'self' data:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const NOT_BUILT = 'The call page is not built: run npm run build.';

export function registerCallPageRoutes(app: FastifyInstance, opts: CallPageRoutesOptions = {}): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const assets = new BuiltAssets(opts.assetsDir ?? DEFAULT_CALL_ASSETS_DIR);

  const secure = (reply: FastifyReply) =>
    pageSecurityHeaders(reply)
      // The microphone for this origin only, nothing else the page does not use.
      .header('permissions-policy', 'microphone=(self), camera=(), geolocation=()');

  api.get(
    '/call',
    {
      schema: {
        hide: true,
        // The page reads the room from its address itself; here it is only checked for size.
        querystring: z.object({ room: z.string().max(64).optional() }),
      },
    },
    async (_req, reply) => {
      const [js, css, worklet] = await Promise.all([
        assets.load('call.js'),
        assets.load('call.css'),
        assets.load('audio-worklet.js'),
      ]);
      if (!js || !worklet) throw new ApiError(503, 'call_page_not_built', NOT_BUILT);
      secure(reply)
        .header('content-security-policy', CALL_PAGE_CSP)
        .header('cache-control', 'no-cache')
        .type('text/html; charset=utf-8');
      return html(js.hash, css?.hash, worklet.hash);
    },
  );

  api.get('/call/assets/:file', { schema: assetRouteSchema }, async (req, reply) => {
    const name = req.params.file;
    const asset = await assets.load(name);
    if (!asset) throw new ApiError(404, 'not_found', 'No such call page file.');
    return sendAsset(req, secure(reply), name, asset);
  });
}

/** The page's markup; call.js makes it work (no inline script or style: the CSP forbids them). */
function html(jsHash: string, cssHash: string | undefined, workletHash: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>Call us</title>
<link rel="icon" href="data:,">
${cssHash ? `<link rel="stylesheet" href="/call/assets/call.css?v=${cssHash}">\n` : ''}<script type="module" src="/call/assets/call.js?v=${jsHash}"></script>
</head>
<body>
<main class="call" data-worklet="/call/assets/audio-worklet.js?v=${workletHash}">
<h1 id="call-title">Call us</h1>
<p class="room">Room: <span id="room-name"></span></p>
<form id="call-form" aria-labelledby="call-title">
<label for="caller-name">Your name</label>
<input id="caller-name" name="name" autocomplete="name" maxlength="64" required>
<div class="buttons">
<button type="submit" id="start">Start call</button>
<button type="button" id="hangup" disabled>Hang up</button>
</div>
</form>
<p id="status" role="status" aria-live="polite">Not connected.</p>
<section aria-labelledby="captions-title">
<h2 id="captions-title">Captions</h2>
<ol id="captions" aria-live="polite" aria-relevant="additions"></ol>
</section>
</main>
<noscript><p>This call page needs JavaScript and a microphone.</p></noscript>
</body>
</html>
`;
}
