import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDashboardRoutes } from '../../src/admin/dashboard-routes.js';
import { registerHttpEdge } from '../../src/http/edge.js';

async function serverFor(assetsDir: string): Promise<FastifyInstance> {
  const app = Fastify();
  registerHttpEdge(app);
  registerDashboardRoutes(app, { assetsDir });
  await app.ready();
  return app;
}

describe('the dashboard page and its assets', () => {
  let dir: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sb-dash-'));
    writeFileSync(path.join(dir, 'app.js'), 'console.log("dashboard");\n');
    writeFileSync(path.join(dir, 'app.css'), 'body{margin:0}\n');
    writeFileSync(path.join(dir, '.env'), 'SECRET=1\n');
    app = await serverFor(dir);
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(['/admin', '/admin/', '/admin/login', '/admin/calls/CA123', '/admin/no/such/page'])(
    'GET %s answers the one HTML page, which loads the bundle',
    async (url) => {
      const res = await app.inject({ url });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.body).toContain('<meta name="viewport"');
      expect(res.body).toMatch(/<link rel="stylesheet" href="\/admin\/assets\/app\.css\?v=[0-9a-f]{16}">/);
      expect(res.body).toMatch(
        /<script type="module" src="\/admin\/assets\/app\.js\?v=[0-9a-f]{16}"><\/script>/,
      );
      expect(res.body).toContain('<noscript>');
    },
  );

  it('sends a strict Content-Security-Policy and the other protective headers with the page', async () => {
    const res = await app.inject({ url: '/admin/live' });
    const csp = String(res.headers['content-security-policy']);
    for (const directive of [
      "default-src 'self'",
      "img-src 'self' data:",
      "media-src 'self'",
      "connect-src 'self'",
      "style-src 'self'",
      "script-src 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'self'",
    ])
      expect(csp).toContain(directive);
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('same-origin');
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('has no inline script or style in the page (the policy would block them)', async () => {
    const res = await app.inject({ url: '/admin' });
    expect(res.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.body).not.toMatch(/<style|style="/);
  });

  it('serves the built files with their types, nosniff and an ETag', async () => {
    const js = await app.inject({ url: '/admin/assets/app.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['x-content-type-options']).toBe('nosniff');
    expect(js.body).toBe('console.log("dashboard");\n');
    const css = await app.inject({ url: '/admin/assets/app.css' });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['etag']).toMatch(/^"[0-9a-f]{16}"$/);
  });

  it('caches a file for a year when asked for by its current hash, and revalidates otherwise', async () => {
    const page = await app.inject({ url: '/admin' });
    const current = /app\.js\?v=([0-9a-f]{16})/.exec(page.body)?.[1];
    const versioned = await app.inject({ url: `/admin/assets/app.js?v=${current}` });
    expect(versioned.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const stale = await app.inject({ url: '/admin/assets/app.js?v=0000000000000000' });
    expect(stale.headers['cache-control']).toBe('no-cache');
    const unversioned = await app.inject({ url: '/admin/assets/app.js' });
    expect(unversioned.headers['cache-control']).toBe('no-cache');
  });

  it('answers 304 to a revalidation with the current ETag', async () => {
    const first = await app.inject({ url: '/admin/assets/app.js' });
    const again = await app.inject({
      url: '/admin/assets/app.js',
      headers: { 'if-none-match': String(first.headers['etag']) },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('sees a rebuilt bundle without a restart (new content, new hash)', async () => {
    const before = await app.inject({ url: '/admin' });
    writeFileSync(path.join(dir, 'app.js'), 'console.log("rebuilt, longer than before");\n');
    const after = await app.inject({ url: '/admin' });
    expect(after.body).not.toBe(before.body);
    const js = await app.inject({ url: '/admin/assets/app.js' });
    expect(js.body).toContain('rebuilt');
  });

  it.each([
    ['a missing file', '/admin/assets/nope.js', 404],
    ['a dot file', '/admin/assets/.env', 400],
    ['a kind the build does not write', '/admin/assets/app.html', 400],
    ['a path out of the folder', '/admin/assets/..%2F..%2Fpackage.json', 400],
  ])('refuses %s in the one error shape', async (_what, url, status) => {
    const res = await app.inject({ url });
    expect(res.statusCode).toBe(status);
    const body = res.json() as { error: string; message: string };
    expect(typeof body.error).toBe('string');
    expect(typeof body.message).toBe('string');
    expect(res.body).not.toContain('SECRET');
  });
});

describe('the dashboard before it is built', () => {
  let dir: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sb-dash-empty-'));
    app = await serverFor(path.join(dir, 'missing'));
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(['/admin', '/admin/calls', '/admin/assets/app.js'])(
    'GET %s answers 503 saying how to build it',
    async (url) => {
      const res = await app.inject({ url });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({
        error: 'dashboard_not_built',
        message: 'The dashboard is not built: run npm run build.',
      });
    },
  );
});
