import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAnalyticsApi } from '../../src/admin/analytics-api.js';
import { asCallSid, type BusinessId } from '../../src/ids.js';
import { AnalyticsRepo } from '../../src/store/analytics-repo.js';
import { CallsRepo } from '../../src/store/index.js';
import { API_KEY, bearer, startHarness, type Harness } from './support/route-harness.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('GET /api/analytics: figures as the plan allows', () => {
  let h: Harness;
  let basic: BusinessId;

  beforeAll(async () => {
    // A is the demo business (PRO); B is FREE.
    h = await startHarness({
      planB: 'FREE',
      routes: ({ server, access, database }) =>
        registerAnalyticsApi(server, { access, db: database.db, analytics: new AnalyticsRepo(database.db) }),
    });
    basic = (await h.businesses.create({ name: 'Basic Co', greeting: 'Hi', plan: 'BASIC' })).id;
    const calls = new CallsRepo(h.database.db);
    await calls.create({ callSid: asCallSid('CA-analytics-1'), businessId: h.a });
    await calls.create({ callSid: asCallSid('CA-analytics-2'), businessId: h.b });
  });
  afterAll(async () => h?.close());

  const get = (url: string, token?: string) =>
    h.server.inject({ method: 'GET', url, headers: token ? bearer(token) : {} });

  it('PRO: every figure, the last 30 local days by default, today last', async () => {
    const res = await get('/api/analytics', h.tokens.ownerA);
    expect(res.statusCode).toBe(200);
    const body = res.json() as Json;
    expect(body).toMatchObject({ level: 'full', plan: 'PRO' });
    expect(body.callsPerDay).toHaveLength(30);
    expect(body.callsPerDay[0].date).toBe(body.from);
    expect(body.callsPerDay.at(-1)).toMatchObject({ date: body.to, total: 1, answered: 0 });
    expect(body.intents.map((i: Json) => i.intent)).toEqual([
      'emergency',
      'lead',
      'booking',
      'question',
      'transfer',
    ]);
    expect(body.latency).toEqual({ turns: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0 });
    expect(Object.keys(body).sort()).toEqual(
      [
        'callsPerDay',
        'durations',
        'emergencies',
        'from',
        'intents',
        'latency',
        'leads',
        'level',
        'plan',
        'to',
      ].sort(),
    );
  });

  it('an agent may look too, and `days` picks the range', async () => {
    const res = await get('/api/analytics?days=7', h.tokens.agentA);
    expect(res.statusCode).toBe(200);
    expect((res.json() as Json).callsPerDay).toHaveLength(7);
  });

  it('BASIC: the figures without intents and latency', async () => {
    const res = await get(`/api/analytics?businessId=${basic}`, API_KEY);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ level: 'basic', plan: 'BASIC', intents: null, latency: null });
  });

  it('FREE: 403 plan_required', async () => {
    const res = await get('/api/analytics', h.tokens.ownerB);
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error: 'plan_required', message: 'Analytics need the BASIC or PRO plan.' });
  });

  it("another business's figures answer 404, as if it did not exist", async () => {
    const res = await get(`/api/analytics?businessId=${h.a}`, h.tokens.ownerB);
    expect(res.statusCode).toBe(404);
    expect((res.json() as Json).error).toBe('not_found');
  });

  it('refuses the unsigned (401), a range outside 1..365 days (400), and the API key without a business (400)', async () => {
    expect((await get('/api/analytics')).statusCode).toBe(401);
    for (const days of ['0', '366', 'week']) {
      const res = await get(`/api/analytics?days=${days}`, h.tokens.ownerA);
      expect(res.statusCode).toBe(400);
      expect((res.json() as Json).details[0].path).toBe('query.days');
    }
    const unnamed = await get('/api/analytics', API_KEY);
    expect(unnamed.statusCode).toBe(400);
    expect((unnamed.json() as Json).details[0].path).toBe('query.businessId');
  });
});
