import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerHttpEdge } from '../../../src/http/edge.js';
import { registerCallPageRoutes } from '../../../src/telephony/web/index.js';

describe('the browser call page (GET /call)', () => {
  let dir: string;
  let empty: string;
  let app: FastifyInstance;
  let unbuilt: FastifyInstance;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sb-call-assets-'));
    empty = mkdtempSync(path.join(tmpdir(), 'sb-call-empty-'));
    writeFileSync(path.join(dir, 'call.js'), 'console.log("call")');
    writeFileSync(path.join(dir, 'call.css'), 'body{}');
    writeFileSync(path.join(dir, 'audio-worklet.js'), 'registerProcessor("x", class {})');
    app = Fastify();
    registerHttpEdge(app);
    registerCallPageRoutes(app, { assetsDir: dir });
    unbuilt = Fastify();
    registerHttpEdge(unbuilt);
    registerCallPageRoutes(unbuilt, { assetsDir: empty });
    await Promise.all([app.ready(), unbuilt.ready()]);
  });
  afterAll(async () => {
    await app?.close();
    await unbuilt?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  });

  it('answers the page under a strict CSP that allows our own worklet and blob: media only', async () => {
    const res = await app.inject({ method: 'GET', url: '/call?room=front-desk' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("media-src 'self' blob:");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers['permissions-policy']).toContain('microphone=(self)');
    // Labelled controls and a live status line; no inline script.
    expect(res.body).toContain('<label for="caller-name">');
    expect(res.body).toContain('aria-live="polite"');
    expect(res.body).toMatch(/<script type="module" src="\/call\/assets\/call\.js\?v=[0-9a-f]{16}">/);
    expect(res.body).toMatch(/data-worklet="\/call\/assets\/audio-worklet\.js\?v=[0-9a-f]{16}"/);
    expect(res.body).not.toMatch(/<script>/);
  });

  it('serves the built files, cached for good only when asked for with their hash', async () => {
    const page = await app.inject({ method: 'GET', url: '/call' });
    const v = /audio-worklet\.js\?v=([0-9a-f]{16})/.exec(page.body)![1];
    const hashed = await app.inject({ method: 'GET', url: `/call/assets/audio-worklet.js?v=${v}` });
    expect(hashed.statusCode).toBe(200);
    expect(hashed.headers['content-type']).toContain('text/javascript');
    expect(hashed.headers['cache-control']).toContain('immutable');
    expect((await app.inject({ method: 'GET', url: '/call/assets/call.css' })).headers['cache-control']).toBe(
      'no-cache',
    );
    expect((await app.inject({ method: 'GET', url: '/call/assets/missing.js' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/call/assets/..%2Fsecret.js' })).statusCode).toBe(400);
  });

  it('says the page is not built (503) rather than serving half a page', async () => {
    const res = await unbuilt.inject({ method: 'GET', url: '/call?room=x' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: 'call_page_not_built' });
  });
});
