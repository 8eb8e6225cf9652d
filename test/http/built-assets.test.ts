import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assetNameSchema,
  assetRouteSchema,
  BuiltAssets,
  builtWebDir,
  pageSecurityHeaders,
  sendAsset,
} from '../../src/http/built-assets.js';

/** Files built into dist/web/*, served with a content hash: what the dashboard, call page and widget share. */

describe('BuiltAssets', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sb-built-'));
    mkdirSync(path.join(dir, 'folder.js'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a file with a 16-hex content hash that follows the content', async () => {
    const assets = new BuiltAssets(dir);
    writeFileSync(path.join(dir, 'a.js'), 'one');
    writeFileSync(path.join(dir, 'b.js'), 'one');
    const a = await assets.load('a.js');
    expect(a?.body.toString()).toBe('one');
    expect(a?.hash).toMatch(/^[0-9a-f]{16}$/);
    expect((await assets.load('b.js'))?.hash).toBe(a?.hash);
    writeFileSync(path.join(dir, 'a.js'), 'two, longer');
    const changed = await assets.load('a.js');
    expect(changed?.body.toString()).toBe('two, longer');
    expect(changed?.hash).not.toBe(a?.hash);
  });

  it('answers null for a file that is absent, a folder, or was removed', async () => {
    const assets = new BuiltAssets(dir);
    expect(await assets.load('missing.js')).toBeNull();
    expect(await assets.load('folder.js')).toBeNull();
    writeFileSync(path.join(dir, 'gone.js'), 'x');
    expect(await assets.load('gone.js')).not.toBeNull();
    rmSync(path.join(dir, 'gone.js'));
    expect(await assets.load('gone.js')).toBeNull();
    expect(await new BuiltAssets(path.join(dir, 'no-such-dir')).load('a.js')).toBeNull();
  });

  it('finds dist/web/<name> from the source tree', () => {
    expect(builtWebDir('admin')).toBe(path.resolve('dist/web/admin') + path.sep);
  });
});

describe('assetNameSchema', () => {
  it.each(['app.js', 'app.css', 'app.js.map', 'audio-worklet.js', 'chunk-AB12.min.js'])('takes %s', (name) =>
    expect(assetNameSchema.safeParse(name).success).toBe(true),
  );
  it.each(['.env', '../app.js', 'a/b.js', 'app.html', 'app', '-x.js', ''])('refuses %j', (name) =>
    expect(assetNameSchema.safeParse(name).success).toBe(false),
  );
});

describe('sendAsset', () => {
  let dir: string;
  let app: FastifyInstance;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sb-built-send-'));
    writeFileSync(path.join(dir, 'app.js'), 'console.log(1);\n');
    writeFileSync(path.join(dir, 'app.css'), 'body{}');
    writeFileSync(path.join(dir, 'app.js.map'), '{}');
    const assets = new BuiltAssets(dir);
    app = Fastify();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    app
      .withTypeProvider<ZodTypeProvider>()
      .get('/assets/:file', { schema: assetRouteSchema }, async (req, reply) => {
        const asset = await assets.load(req.params.file);
        if (!asset) return reply.code(404).send({ error: 'not_found', message: 'No such file.' });
        return sendAsset(req, pageSecurityHeaders(reply).header('x-route', 'own'), req.params.file, asset);
      });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the body with its content type, its hash as the ETag, and keeps the route’s own headers', async () => {
    const res = await app.inject({ url: '/assets/app.js' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('console.log(1);\n');
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers['etag']).toMatch(/^"[0-9a-f]{16}"$/);
    expect(res.headers['x-route']).toBe('own');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('same-origin');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect((await app.inject({ url: '/assets/app.css' })).headers['content-type']).toBe(
      'text/css; charset=utf-8',
    );
    expect((await app.inject({ url: '/assets/app.js.map' })).headers['content-type']).toBe(
      'application/json; charset=utf-8',
    );
  });

  it('is immutable for a year only when asked for by its current hash, else no-cache', async () => {
    const hash = String((await app.inject({ url: '/assets/app.js' })).headers['etag']).replaceAll('"', '');
    expect((await app.inject({ url: `/assets/app.js?v=${hash}` })).headers['cache-control']).toBe(
      'public, max-age=31536000, immutable',
    );
    expect((await app.inject({ url: '/assets/app.js?v=0000000000000000' })).headers['cache-control']).toBe(
      'no-cache',
    );
    expect((await app.inject({ url: '/assets/app.js' })).headers['cache-control']).toBe('no-cache');
  });

  it('answers 304 with no body to a revalidation with the current ETag, 200 to an old one', async () => {
    const etag = String((await app.inject({ url: '/assets/app.js' })).headers['etag']);
    const same = await app.inject({ url: '/assets/app.js', headers: { 'if-none-match': etag } });
    expect(same.statusCode).toBe(304);
    expect(same.body).toBe('');
    const old = await app.inject({
      url: '/assets/app.js',
      headers: { 'if-none-match': '"0000000000000000"' },
    });
    expect(old.statusCode).toBe(200);
  });

  it('refuses a name that is not an asset before reading anything', async () => {
    expect((await app.inject({ url: '/assets/.env' })).statusCode).toBe(400);
    expect((await app.inject({ url: '/assets/..%2Fapp.js' })).statusCode).toBe(400);
  });
});
