import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerCallsApi } from '../../src/admin/calls-api.js';
import { asCallSid, type BusinessId } from '../../src/ids.js';
import { BusinessesRepo, CallsRepo, type Database } from '../../src/store/index.js';
import { createTestTarget, type TestTarget } from '../store/drivers.js';
import { createAccessTestApp, type AccessTestApp, type Credentials } from '../support/access.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('calls over the admin API', () => {
  let target: TestTarget;
  let database: Database;
  let t: AccessTestApp;
  let acme: BusinessId;
  let other: BusinessId;
  const otherSid = asCallSid(`CA${'b'.repeat(32)}`);
  const sids = ['CA01', 'CA02', 'CA03', 'CA04', 'CA05'].map((s) => asCallSid(s.padEnd(34, '0')));

  beforeAll(async () => {
    target = await createTestTarget('pglite');
    database = await target.open();
    acme = (await new BusinessesRepo(database.db).create({ name: 'Acme', greeting: 'Hi' })).id;
    other = (await new BusinessesRepo(database.db).create({ name: 'Bright Smiles', greeting: 'Hi' })).id;
    const calls = new CallsRepo(database.db);
    // Two calls start in the same millisecond: the id breaks the tie, so paging neither skips nor repeats.
    const at = [1000, 2000, 3000, 3000, 4000].map((ms) => new Date(Date.UTC(2026, 0, 1) + ms));
    for (const [i, callSid] of sids.entries())
      await calls.create({ callSid, businessId: acme, from: '+15005550006', startedAt: at[i] });
    await calls.create({ callSid: otherSid, businessId: other, from: '+15005550007' });
    t = await createAccessTestApp(database.db);
    registerCallsApi(t.server, { access: t.access, calls });
    await t.server.ready();
  });
  afterAll(async () => {
    await t?.close();
    await database?.close();
    await target?.cleanup();
  });

  const get = (url: string, as: Credentials = t.apiKey) => t.server.inject({ method: 'GET', url, ...as });

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

  it('needs someone signed in', async () => {
    const res = await t.server.inject({ method: 'GET', url: '/api/calls' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: 'unauthorized' });
  });

  it("shows the API key every business's calls", async () => {
    const all = (await get('/api/calls')).json() as Json;
    expect(all.items.map((c: Json) => c.callSid)).toContain(otherSid);
    expect(all.items).toHaveLength(6);
  });

  it("shows a user their business's calls only, by bearer token and by cookie", async () => {
    const agent = await t.signIn('agent', acme);
    for (const as of [agent.bearer, agent.cookie]) {
      const mine = (await get('/api/calls', as)).json() as Json;
      expect(mine.items).toHaveLength(5);
      expect(mine.items.every((c: Json) => c.businessId === acme)).toBe(true);
      expect((await get(`/api/calls/${sids[0]}`, as)).statusCode).toBe(200);
    }
  });

  it("answers another business's call, or list, exactly as a missing one (404)", async () => {
    const owner = await t.signIn('owner', acme);
    const theirs = await get(`/api/calls/${otherSid}`, owner.bearer);
    const missing = await get(`/api/calls/CA${'f'.repeat(32)}`, owner.bearer);
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json()).toEqual(missing.json());
    expect((await get(`/api/calls?businessId=${other}`, owner.bearer)).statusCode).toBe(404);
  });

  it("lets an admin see every business's calls, or one business's", async () => {
    const admin = await t.signIn('admin');
    expect(((await get('/api/calls', admin.bearer)).json() as Json).items).toHaveLength(6);
    const one = (await get(`/api/calls?businessId=${other}`, admin.bearer)).json() as Json;
    expect(one.items.map((c: Json) => c.callSid)).toEqual([otherSid]);
  });
});
