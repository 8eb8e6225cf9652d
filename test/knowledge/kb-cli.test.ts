import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerKbApi } from '../../src/admin/kb-api.js';
import { kbCommand } from '../../src/cli/kb.js';
import { KnowledgeBase, KnowledgeRepo } from '../../src/knowledge/index.js';
import { HashingEmbedder } from '../../src/providers/embed/index.js';
import { BusinessesRepo, type Database } from '../../src/store/index.js';
import { createAccessTestApp } from '../support/access.js';
import { createTestTarget, type TestTarget } from '../store/drivers.js';
import { makePdf } from './pdf-fixture.js';

/** `switchboard kb` (src/cli/kb.ts) against a server on 127.0.0.1 holding the database. */
const KEY = 'cli-key-0123456789abcdef';

describe('switchboard kb', () => {
  let target: TestTarget;
  let database: Database;
  let app: FastifyInstance;
  let url: string;
  let dir: string;

  beforeAll(async () => {
    target = await createTestTarget('pglite');
    database = await target.open();
    const businesses = new BusinessesRepo(database.db);
    await businesses.create({ name: 'Acme Plumbing', greeting: 'Hi' });
    const kb = new KnowledgeBase({ repo: new KnowledgeRepo(database.db), embedder: new HashingEmbedder() });
    // The server's edge and access seam, as in app.ts; the CLI signs in with the API key.
    const t = await createAccessTestApp(database.db, { apiKey: KEY });
    app = t.server;
    registerKbApi(app, { access: t.access, kb, businesses });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
    dir = mkdtempSync(join(tmpdir(), 'switchboard-kb-cli-'));
  });

  afterAll(async () => {
    await app?.close();
    await database?.close();
    await target?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (args: string[], env: Record<string, string> = { SWITCHBOARD_API_KEY: KEY }) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await kbCommand([...args, '--url', url], {
      env: { DATA_DIR: dir, ...env },
      out: (s) => out.push(s),
      err: (s) => err.push(s),
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('adds files through the running server and searches what they say', async () => {
    const md = join(dir, 'payment.md');
    writeFileSync(md, '# Payment\n\nWe accept cash, checks and all major credit cards.');
    const pdf = join(dir, 'warranty.pdf');
    writeFileSync(pdf, makePdf([['Warranty', 'Every repair is guaranteed for one year.']]));
    const added = await run(['add', md]);
    expect(added).toMatchObject({ code: 0, err: '' });
    expect(added.out).toMatch(/^added "Payment" \(markdown, 1 chunks\) as [0-9a-f-]{36}$/);
    expect((await run(['add', pdf, '--title', 'Our guarantee'])).out).toMatch(
      /^added "Our guarantee" \(pdf, 1 chunks\)/,
    );

    const found = await run(['search', 'do', 'you', 'take', 'credit', 'cards']);
    expect(found.code).toBe(0);
    expect(found.out).toContain('1. Payment');
    expect(found.out).toContain('We accept cash, checks and all major credit cards.');
    expect((await run(['search', 'do you sell pizza'])).out).toBe(
      'nothing relevant: the receptionist would pass this question on',
    );

    const listed = await run(['list']);
    expect(listed.out.split('\n')).toHaveLength(2);
    const id = listed.out
      .split('\n')
      .find((l) => l.endsWith('Payment'))!
      .split(' ')[0]!;
    expect((await run(['delete', id])).out).toBe(`deleted ${id}`);
    expect((await run(['delete', id])).err).toContain('404: document_not_found');
  });

  it('takes the API key from the local secrets the server wrote', async () => {
    writeFileSync(
      join(dir, 'secrets.json'),
      JSON.stringify({ twilioAuthToken: 'x'.repeat(16), apiKey: KEY, streamTokenSecret: 's'.repeat(32) }),
    );
    expect((await run(['list'], {})).code).toBe(0);
    rmSync(join(dir, 'secrets.json'));
    const none = await run(['list'], {});
    expect(none.code).toBe(2);
    expect(none.err).toContain('no API key');
  });

  it('says so when no server is running or the file type is not supported', async () => {
    const out: string[] = [];
    const code = await kbCommand(['list', '--url', 'http://127.0.0.1:9'], {
      env: { SWITCHBOARD_API_KEY: KEY, DATA_DIR: dir },
      out: (s) => out.push(s),
      err: (s) => out.push(s),
    });
    expect(code).toBe(1);
    expect(out.join('\n')).toMatch(
      /no Switchboard server answers at http:\/\/127\.0\.0\.1:9 .*switchboard serve/,
    );
    const docx = join(dir, 'prices.docx');
    writeFileSync(docx, 'x');
    expect((await run(['add', docx])).err).toMatch(/unsupported document type "\.docx"/);
    expect((await run(['add'])).err).toMatch(/give one FILE/);
  });
});
