import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCallsApi } from '../../src/admin/calls-api.js';
import { registerHttpEdge } from '../../src/http/edge.js';
import { asCallSid, type BusinessId } from '../../src/ids.js';
import { BusinessesRepo, CallsRepo, type Database } from '../../src/store/index.js';
import { createTestTarget, type TestTarget } from '../store/drivers.js';

const KEY = 'admin-key-0123456789abcdef';
const auth = { authorization: `Bearer ${KEY}` };
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('calls over the admin API', () => {
  let target: TestTarget;
  let database: Database;
  let app: FastifyInstance;
  let acme: BusinessId;
  const sids = ['CA01', 'CA02', 'CA03', 'CA04', 'CA05'].map((s) => asCallSid(s.padEnd(34, '0')));

  beforeAll(async () => {
    target = await createTestTarget('pglite');
    database = await target.open();
    acme = (await new BusinessesRepo(database.db).create({ name: 'Acme', greeting: 'Hi' })).id;
    const calls = new CallsRepo(database.db);
    // Two calls start in the same millisecond: the id breaks the tie, so paging neither skips nor repeats.
    const at = [1000, 2000, 3000, 3000, 4000].map((ms) => new Date(Date.UTC(2026, 0, 1) + ms));
    for (const [i, callSid] of sids.entries())
      await calls.create({ callSid, businessId: acme, from: '+15005550006', startedAt: at[i] });
    app = Fastify();
    registerHttpEdge(app);
    registerCallsApi(app, { apiKey: KEY, calls });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
    await target?.cleanup();
  });

  const get = (url: string) => app.inject({ method: 'GET', url, headers: auth });

  it('pages newest first with ?limit=&cursor= until nextCursor is null', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(`/api/calls?limit=2&businessId=${acme}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as {
        items: { callSid: string; startedAt: string }[];
        nextCursor: string | null;
      };
      seen.push(...body.items.map((c) => c.callSid));
      cursor = body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(5);
    expect(seen[0]).toBe(sids[4]);
    expect(seen[4]).toBe(sids[0]);
  });

  it('shows one call, 404s an unknown one and refuses unknown parameters', async () => {
    const one = await get(`/api/calls/${sids[0]}`);
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({
      call: { callSid: sids[0], statusHistory: [], turns: [], events: [] },
    });
    expect((await get(`/api/calls/CA${'f'.repeat(32)}`)).json()).toMatchObject({ error: 'not_found' });
    const unknown = await get('/api/calls?before=x');
    expect(unknown.statusCode).toBe(400);
    expect((unknown.json() as Json).message).toContain('unknown query parameter "before"');
  });
});
