import { profileFromStored } from '../../business/index.js';
import type { Business } from '../../store/index.js';

/**
 * GET /demo: a plain page about a business with the chat widget embedded exactly as a customer
 * embeds it, one script tag. Its CSP allows only this server: no inline script or style.
 */

export const DEMO_CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "style-src 'self'",
  "script-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** `base`: where the widget is served from, for the snippet shown (PUBLIC_URL). */
export function demoPage(b: Business, base = 'https://your-switchboard.example'): string {
  const { profile } = profileFromStored(b);
  const name = escapeHtml(b.name);
  const services = profile.services
    .map(
      (s) =>
        `<li><strong>${escapeHtml(s.name)}</strong>${s.price ? ` (${escapeHtml(s.price)})` : ''}${
          s.description ? `: ${escapeHtml(s.description)}` : ''
        }</li>`,
    )
    .join('\n');
  const phone = b.phoneNumbers[0];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${name}: chat with us</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/demo.css">
</head>
<body>
<main>
<h1>${name}</h1>
<p>This is a demo page for ${name}. Use the chat button in the corner to talk with our receptionist: ask
about our services and hours, book a visit, or leave your details and we will call you back.</p>
${phone ? `<p>Or call us: <a href="tel:${escapeHtml(phone)}">${escapeHtml(phone)}</a></p>` : ''}
${services ? `<h2>Services</h2>\n<ul>\n${services}\n</ul>` : ''}
<h2>Add this chat to your site</h2>
<pre><code>&lt;script src="${escapeHtml(base)}/widget.js" data-key="${escapeHtml(b.publicKey)}" async&gt;&lt;/script&gt;</code></pre>
</main>
<script src="/widget.js" data-key="${escapeHtml(b.publicKey)}" async></script>
</body>
</html>
`;
}

export const DEMO_CSS = `body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1d2733;background:#f6f7f9}
main{max-width:46rem;margin:0 auto;padding:2rem 1rem 6rem}
h1{margin-top:0}
pre{background:#fff;border:1px solid #d5dae0;border-radius:6px;padding:.75rem;overflow:auto;white-space:pre-wrap;word-break:break-all}
`;
