import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerKbApi } from '../../src/admin/kb-api.js';
import type { BusinessId } from '../../src/ids.js';
import { KnowledgeBase, KnowledgeRepo } from '../../src/knowledge/index.js';
import { HashingEmbedder } from '../../src/providers/embed/index.js';
import { BusinessesRepo, type Database } from '../../src/store/index.js';
import { createTestTarget, type TestTarget } from '../store/drivers.js';
import { makePdf } from '../knowledge/pdf-fixture.js';
import { createAccessTestApp, TEST_API_KEY as KEY, type AccessTestApp } from '../support/access.js';

const run = promisify(execFile);
const auth = { authorization: `Bearer ${KEY}` };
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('knowledge base over the admin API', () => {
  let target: TestTarget;
  let database: Database;
  let t: AccessTestApp;
  let app: FastifyInstance;
  let first: BusinessId;
  let second: BusinessId;
  /** Businesses whose knowledge changed, as the API reported them (for the recognizer's words). */
  const changed: Array<BusinessId | undefined> = [];

  beforeAll(async () => {
    target = await createTestTarget('pglite');
    database = await target.open();
    const businesses = new BusinessesRepo(database.db);
    first = (await businesses.create({ name: 'Acme Plumbing', greeting: 'Hi' })).id;
    second = (await businesses.create({ name: 'Bright Smiles', greeting: 'Hi' })).id;
    const kb = new KnowledgeBase({ repo: new KnowledgeRepo(database.db), embedder: new HashingEmbedder() });
    // The server's error shape, input guard and access seam, as in app.ts.
    t = await createAccessTestApp(database.db);
    app = t.server;
    registerKbApi(app, {
      access: t.access,
      kb,
      businesses,
      maxUploadBytes: 64 * 1024,
      onChanged: (id) => changed.push(id),
    });
    // Routes outside the plugin keep Fastify's own parsers.
    app.post('/echo', async (req) => ({ body: req.body }));
    await app.ready();
  });

  afterAll(async () => {
    await t?.close();
    await database?.close();
    await target?.cleanup();
  });

  it('adds a JSON document to the first business and answers a question from it', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/kb/documents',
      headers: auth,
      payload: {
        title: 'Emergency fee',
        content: 'Calls after 6 p.m. and on weekends carry an after-hours emergency fee of $95.',
      },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json<Json>();
    expect(body).toMatchObject({ title: 'Emergency fee', source: 'text', chunkCount: 1, businessId: first });
    expect(changed.at(-1)).toBe(first);
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    const search = await app.inject({
      method: 'GET',
      url: `/api/kb/search?q=${encodeURIComponent('is there an after hours fee')}`,
      headers: auth,
    });
    expect(search.statusCode).toBe(200);
    expect(search.json<Json>().hits[0]).toMatchObject({
      text: 'Calls after 6 p.m. and on weekends carry an after-hours emergency fee of $95.',
      title: 'Emergency fee',
      documentId: body.id,
      relevant: true,
    });
  });

  it('takes raw Markdown, HTML, plain text and PDF uploads for a chosen business', async () => {
    const uploads: [string, string | Uint8Array, string][] = [
      ['text/markdown', '# Payment\n\nWe take **cash** and cards.', 'markdown'],
      ['text/html; charset=utf-8', '<h1>Parking</h1><p>Free parking behind the building.</p>', 'html'],
      ['text/plain', 'We are closed on Sundays.', 'text'],
      ['application/pdf', makePdf([['Warranty', 'All repairs are guaranteed for a year.']]), 'pdf'],
    ];
    for (const [type, payload, source] of uploads) {
      const res = await app.inject({
        method: 'POST',
        url: `/api/kb/documents?title=${source}-doc&businessId=${second}`,
        headers: { ...auth, 'content-type': type },
        payload: typeof payload === 'string' ? payload : Buffer.from(payload),
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json<Json>()).toMatchObject({ title: `${source}-doc`, source, businessId: second });
    }
    const list = await app.inject({
      method: 'GET',
      url: `/api/kb/documents?businessId=${second}`,
      headers: auth,
    });
    expect(list.json<Json>().items.map((d: Json) => d.title)).toEqual([
      'pdf-doc',
      'text-doc',
      'html-doc',
      'markdown-doc',
    ]);
    const hit = await app.inject({
      method: 'GET',
      url: `/api/kb/search?q=is+the+repair+guaranteed&businessId=${second}`,
      headers: auth,
    });
    expect(hit.json<Json>().hits[0].text).toBe('All repairs are guaranteed for a year.');
  });

  it('takes the title from the file name when only ?filename= is given', async () => {
    const res = await app.inject({
      method: 'POST',
      url: `/api/kb/documents?filename=areas.md&businessId=${second}`,
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      payload: '## Areas\n\nWe serve Skokie.',
    });
    expect(res.statusCode).toBe(201);
    expect(res.json<Json>()).toMatchObject({ title: 'areas', source: 'markdown' });
  });

  it('answers bad input with 400 and a message that says what is wrong', async () => {
    const cases: { payload?: unknown; url?: string; type?: string; status: number; error: RegExp }[] = [
      { payload: { content: 'x' }, status: 400, error: /title/ },
      { payload: { title: 'T', content: '' }, status: 400, error: /content is required/ },
      {
        payload: { title: 'T', content: 'x', businessId: 'nope' },
        status: 400,
        error: /businessId must be a UUID/,
      },
      { payload: { title: 'T', content: 'x', format: 'pdf' }, status: 400, error: /format/ },
      {
        payload: { title: 'T', content: 'x', businessId: '00000000-0000-4000-8000-000000000000' },
        status: 404,
        error: /business not found/,
      },
      {
        payload: { title: 'T', content: '<script>only()</script>', format: 'html' },
        status: 400,
        error: /no text/,
      },
      { type: 'text/plain', payload: 'Some text.', status: 400, error: /title is required/ },
      { type: 'text/plain', url: '?title=x', payload: '', status: 400, error: /request body/ },
      {
        type: 'application/pdf',
        url: '?title=x',
        payload: '%PDF-1.4 broken',
        status: 400,
        error: /could not read the PDF/,
      },
      {
        type: 'image/png',
        url: '?title=x',
        payload: 'PNG',
        status: 415,
        error: /unsupported document type "image\/png"; supported: text\/plain/,
      },
    ];
    for (const c of cases) {
      const res = await app.inject({
        method: 'POST',
        url: `/api/kb/documents${c.url ?? ''}`,
        headers: { ...auth, ...(c.type ? { 'content-type': c.type } : {}) },
        payload: c.payload as string,
      });
      expect(res.statusCode, JSON.stringify(c.payload)).toBe(c.status);
      expect(res.json<Json>().message).toMatch(c.error);
      expect(res.json<Json>().error).toMatch(/^[a-z_]+$/);
    }
    const search = await app.inject({ method: 'GET', url: '/api/kb/search', headers: auth });
    expect(search.statusCode).toBe(400);
    expect(search.json<Json>().message).toMatch(/q \(the question\) is required/);
    const del = await app.inject({ method: 'DELETE', url: '/api/kb/documents/123', headers: auth });
    expect(del.statusCode).toBe(400);
  });

  it('refuses NUL bytes, 100 KB strings and out-of-range numbers with 400 in the one error shape', async () => {
    const big = 'x'.repeat(100_000);
    const requests: { method: 'GET' | 'POST' | 'DELETE'; url: string; payload?: unknown; type?: string }[] = [
      {
        method: 'POST',
        url: '/api/kb/documents',
        payload: { title: 'Fee\u0000', content: 'We charge $95.' },
      },
      {
        method: 'POST',
        url: '/api/kb/documents',
        payload: { title: 'Fee', content: 'We charge\u0000 $95.' },
      },
      {
        method: 'POST',
        url: '/api/kb/documents',
        payload: { title: big.slice(0, 50_000), content: 'We charge $95.' },
      },
      { method: 'POST', url: '/api/kb/documents?title=a%00b', type: 'text/plain', payload: 'Text.' },
      { method: 'POST', url: `/api/kb/documents?title=${big}`, type: 'text/plain', payload: 'Text.' },
      { method: 'POST', url: '/api/kb/documents?title=x', type: 'text/plain', payload: 'bad\u0000text' },
      { method: 'GET', url: `/api/kb/search?q=${big}` },
      { method: 'GET', url: '/api/kb/search?q=fee%00' },
      { method: 'GET', url: '/api/kb/search?q=fee&k=abc' },
      { method: 'GET', url: '/api/kb/search?q=fee&k=0' },
      { method: 'GET', url: '/api/kb/search?q=fee&k=-3' },
      { method: 'GET', url: '/api/kb/search?q=fee&k=2.5' },
      { method: 'GET', url: '/api/kb/search?q=fee&k=100000000000000000000' },
      { method: 'GET', url: '/api/kb/search?q=fee&mode=everything' },
      { method: 'GET', url: '/api/kb/documents?businessId=%00' },
      { method: 'GET', url: '/api/kb/documents/not-a-uuid' },
    ];
    for (const r of requests) {
      const res = await app.inject({
        method: r.method,
        url: r.url,
        headers: { ...auth, ...(r.type ? { 'content-type': r.type } : {}) },
        ...(r.payload === undefined ? {} : { payload: r.payload as string }),
      });
      const what = `${r.method} ${r.url.slice(0, 80)}`;
      expect(res.statusCode, what).toBe(400);
      const body = res.json<Json>();
      expect(
        Object.keys(body).filter((k) => k !== 'details'),
        what,
      ).toEqual(['error', 'message']);
      expect(body.error, what).toMatch(/^[a-z_]+$/);
      expect(body.message, what).toMatch(/\.$/);
      expect(JSON.stringify(body), what).not.toContain(big.slice(0, 1000));
    }
  });

  it('answers a missing document with 404 in the one error shape, and shows a document status', async () => {
    const missing = await app.inject({
      method: 'GET',
      url: '/api/kb/documents/00000000-0000-4000-8000-000000000000',
      headers: auth,
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json<Json>()).toEqual({
      error: 'document_not_found',
      message: expect.stringMatching(/\.$/),
    });
    const added = await app.inject({
      method: 'POST',
      url: '/api/kb/documents',
      headers: auth,
      payload: { title: 'Parking', content: 'Park behind the building.' },
    });
    expect(added.json<Json>().status).toBe('ready');
    const got = await app.inject({
      method: 'GET',
      url: `/api/kb/documents/${added.json<Json>().id}`,
      headers: auth,
    });
    expect(got.json<Json>()).toMatchObject({ title: 'Parking', status: 'ready', chunkCount: 1 });
  });

  it('refuses uploads over the size limit', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/kb/documents?title=big',
      headers: { ...auth, 'content-type': 'text/plain' },
      payload: 'word '.repeat(20_000),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json<Json>()).toEqual({ error: 'payload_too_large', message: expect.any(String) });
  });

  it('deletes a document, then 404s it', async () => {
    const added = await app.inject({
      method: 'POST',
      url: '/api/kb/documents',
      headers: auth,
      payload: { title: 'Temp', content: 'We rent carpet cleaners.' },
    });
    const id = added.json<Json>().id as string;
    const del = await app.inject({ method: 'DELETE', url: `/api/kb/documents/${id}`, headers: auth });
    expect(del.statusCode).toBe(204);
    const again = await app.inject({ method: 'DELETE', url: `/api/kb/documents/${id}`, headers: auth });
    expect(again.statusCode).toBe(404);
    const search = await app.inject({
      method: 'GET',
      url: '/api/kb/search?q=carpet+cleaner+rental',
      headers: auth,
    });
    expect(search.json<Json>().hits).toEqual([]);
  });

  it("shows a user their own business's knowledge only: another's answers as if it did not exist", async () => {
    const theirs = await app.inject({
      method: 'POST',
      url: '/api/kb/documents',
      headers: auth,
      payload: { title: 'Whitening', content: 'Teeth whitening costs 300 dollars.', businessId: second },
    });
    const theirId = theirs.json<Json>().id as string;
    const owner = await t.signIn('owner', first);
    const agent = await t.signIn('agent', first);
    for (const who of [owner.bearer, owner.cookie, agent.bearer]) {
      const list = await app.inject({ method: 'GET', url: '/api/kb/documents', ...who });
      expect(list.statusCode).toBe(200);
      const items = list.json<Json>().items as Json[];
      expect(items.length).toBeGreaterThan(0);
      expect(items.every((d) => d.businessId === first)).toBe(true);
      const one = await app.inject({ method: 'GET', url: `/api/kb/documents/${theirId}`, ...who });
      const missing = await app.inject({
        method: 'GET',
        url: '/api/kb/documents/00000000-0000-4000-8000-000000000000',
        ...who,
      });
      expect(one.statusCode).toBe(404);
      expect(one.json()).toEqual(missing.json());
      for (const url of [
        `/api/kb/documents?businessId=${second}`,
        `/api/kb/search?q=whitening&businessId=${second}`,
      ])
        expect((await app.inject({ method: 'GET', url, ...who })).statusCode, url).toBe(404);
      // Without a businessId a search is the user's own business's.
      const own = await app.inject({ method: 'GET', url: '/api/kb/search?q=whitening', ...who });
      expect(own.json<Json>()).toMatchObject({ businessId: first, hits: [] });
    }
    const del = await app.inject({ method: 'DELETE', url: `/api/kb/documents/${theirId}`, ...owner.bearer });
    expect(del.statusCode).toBe(404);
    const into = await app.inject({
      method: 'POST',
      url: '/api/kb/documents',
      ...owner.cookie,
      payload: { title: 'x', content: 'y', businessId: second },
    });
    expect(into.statusCode).toBe(404);
    // Still there for its own business.
    expect(
      (await app.inject({ method: 'GET', url: `/api/kb/documents/${theirId}`, headers: auth })).statusCode,
    ).toBe(200);
  });

  it('lets owners add and delete their knowledge; agents only look; the cookie needs the CSRF token', async () => {
    const owner = await t.signIn('owner', first);
    const agent = await t.signIn('agent', first);
    const doc = { title: 'Parking', content: 'Park behind the building.' };
    const byAgent = await app.inject({
      method: 'POST',
      url: '/api/kb/documents',
      ...agent.bearer,
      payload: doc,
    });
    expect(byAgent.statusCode).toBe(403);
    const noCsrf = await app.inject({
      method: 'POST',
      url: '/api/kb/documents',
      ...owner.cookieWithoutCsrf,
      payload: doc,
    });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json<Json>().error).toBe('csrf_failed');
    const added = await app.inject({
      method: 'POST',
      url: '/api/kb/documents',
      ...owner.cookie,
      payload: doc,
    });
    expect(added.statusCode).toBe(201);
    expect(added.json<Json>().businessId).toBe(first);
    const id = added.json<Json>().id as string;
    const agentDel = await app.inject({ method: 'DELETE', url: `/api/kb/documents/${id}`, ...agent.bearer });
    expect(agentDel.statusCode).toBe(403);
    changed.length = 0;
    const del = await app.inject({ method: 'DELETE', url: `/api/kb/documents/${id}`, ...owner.cookie });
    expect(del.statusCode).toBe(204);
    // The recognizer's words are rebuilt for the business the document was in.
    expect(changed).toEqual([first]);
  });

  it('needs someone signed in on every route', async () => {
    for (const [method, url] of [
      ['POST', '/api/kb/documents'],
      ['GET', '/api/kb/documents'],
      ['DELETE', `/api/kb/documents/${first}`],
      ['GET', '/api/kb/search?q=x'],
    ] as const) {
      const res = await app.inject({
        method,
        url,
        payload: method === 'POST' ? { title: 'x', content: 'y' } : undefined,
      });
      expect(res.statusCode).toBe(401);
    }
  });

  it('leaves the content-type parsers of other routes alone', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'text/plain' },
      payload: 'hi',
    });
    expect(res.json<Json>()).toEqual({ body: 'hi' });
    const pdf = await app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/pdf' },
      payload: 'x',
    });
    expect(pdf.statusCode).toBe(415);
  });

  describe('form uploads (multipart/form-data, what curl -F sends)', () => {
    /** A form as a browser or curl encodes it: the body bytes and its Content-Type with the boundary. */
    async function encoded(form: FormData): Promise<{ payload: Buffer; type: string }> {
      const r = new Response(form);
      return { payload: Buffer.from(await r.arrayBuffer()), type: r.headers.get('content-type')! };
    }
    const post = async (
      form: FormData,
      url = '/api/kb/documents',
      headers: Record<string, string> = auth,
    ) => {
      const { payload, type } = await encoded(form);
      return app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': type }, payload });
    };
    const markdown = (text: string, name = 'prices.md') =>
      new File([text], name, { type: 'application/octet-stream' });

    it('adds a file sent before its title, as curl -F file=@prices.md -F title=Prices does', async () => {
      const form = new FormData();
      form.append('file', markdown('# Price list\n\nA blocked drain costs 120 dollars to clear.'));
      form.append('title', 'Prices');
      form.append('businessId', second);
      const res = await post(form);
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json<Json>()).toMatchObject({ title: 'Prices', source: 'markdown', businessId: second });
      const hit = await app.inject({
        method: 'GET',
        url: `/api/kb/search?q=${encodeURIComponent('how much to clear a blocked drain')}&businessId=${second}`,
        headers: auth,
      });
      expect(hit.json<Json>().hits[0]).toMatchObject({ documentId: res.json<Json>().id });
    });

    it('takes the title from the document when the form has none', async () => {
      const form = new FormData();
      form.append('file', markdown('# Opening hours\n\nWe open at 7 a.m. on weekdays.', 'hours.md'));
      const res = await post(form);
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json<Json>()).toMatchObject({ title: 'Opening hours', businessId: first });
    });

    it('refuses a file over the upload limit with 413 in the one error shape, as a raw upload', async () => {
      const form = new FormData();
      form.append('title', 'Big');
      form.append('file', markdown('word '.repeat(20_000)));
      const res = await post(form);
      expect(res.statusCode).toBe(413);
      expect(res.json<Json>()).toEqual({ error: 'payload_too_large', message: expect.any(String) });
    });

    it('refuses a form without a file, with an unknown field, a NUL in the title or the file under another name', async () => {
      const noFile = new FormData();
      noFile.append('title', 'Prices');
      const unknown = new FormData();
      unknown.append('file', markdown('Text.'));
      unknown.append('tilte', 'Prices');
      const nul = new FormData();
      nul.append('file', markdown('Text.'));
      nul.append('title', 'Pri\u0000ces');
      const elsewhere = new FormData();
      elsewhere.append('document', markdown('Text.'));
      const cases: [FormData, string, RegExp][] = [
        [noFile, 'empty_body', /form with a file part/],
        [unknown, 'validation_failed', /unknown form field "tilte"/],
        [nul, 'validation_failed', /NUL/],
        [elsewhere, 'validation_failed', /part named "file"/],
      ];
      for (const [form, code, message] of cases) {
        const res = await post(form);
        expect(res.statusCode, res.body).toBe(400);
        expect(res.json<Json>()).toMatchObject({ error: code, message: expect.stringMatching(message) });
      }
    });

    it('answers a form it cannot read (no boundary, cut short) with 400 invalid_form', async () => {
      const form = new FormData();
      form.append('file', markdown('# Prices\n\nA drain is 120 dollars.'));
      const { payload, type } = await encoded(form);
      const bodies: [string, Buffer][] = [
        ['multipart/form-data', payload],
        [type, payload.subarray(0, payload.length - 30)],
      ];
      for (const [contentType, body] of bodies) {
        const res = await app.inject({
          method: 'POST',
          url: '/api/kb/documents',
          headers: { ...auth, 'content-type': contentType },
          payload: body,
        });
        expect(res.statusCode, res.body).toBe(400);
        expect(res.json<Json>()).toEqual({ error: 'invalid_form', message: expect.stringMatching(/\.$/) });
      }
    });

    it('needs someone signed in, and takes forms on this route only', async () => {
      const form = new FormData();
      form.append('file', markdown('Text.'));
      expect((await post(form, '/api/kb/documents', {})).statusCode).toBe(401);
      const other = await post(form, '/echo', {});
      expect(other.statusCode).toBe(415);
    });

    it('accepts what curl -F sends over a real connection', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'sb-kb-form-'));
      const file = path.join(dir, 'prices.md');
      writeFileSync(file, '# Call-out\n\nA call-out costs 60 dollars.');
      const base = await app.listen({ port: 0, host: '127.0.0.1' });
      try {
        // Not execFileSync: the server answering curl runs on this event loop.
        const { stdout: out } = await run('curl', [
          '-s',
          '-w',
          '\n%{http_code}',
          '-H',
          `Authorization: Bearer ${KEY}`,
          '-F',
          `file=@${file}`,
          '-F',
          'title=Call-out fee',
          `${base}/api/kb/documents`,
        ]);
        const [body, status] = out.split('\n');
        expect(status, body).toBe('201');
        expect(JSON.parse(body!)).toMatchObject({
          title: 'Call-out fee',
          source: 'markdown',
          status: 'ready',
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
