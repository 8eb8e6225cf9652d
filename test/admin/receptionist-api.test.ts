import Fastify, { type FastifyInstance } from 'fastify';
import { registerHttpEdge } from '../../src/http/edge.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerReceptionistApi } from '../../src/admin/receptionist-api.js';
import type { BusinessId } from '../../src/ids.js';
import {
  BookingsRepo,
  BusinessesRepo,
  EmergenciesRepo,
  LeadsRepo,
  QuestionsRepo,
  type Database,
} from '../../src/store/index.js';
import { createTestTarget, type TestTarget } from '../store/drivers.js';

const KEY = 'admin-key-0123456789abcdef';
const auth = { authorization: `Bearer ${KEY}` };
const CALL_A = `CA${'a'.repeat(32)}`;
const CALL_B = `CA${'b'.repeat(32)}`;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('receptionist records over the admin API', () => {
  let target: TestTarget;
  let database: Database;
  let app: FastifyInstance;
  let acme: BusinessId;
  let dental: BusinessId;
  const leadIds: string[] = [];

  beforeAll(async () => {
    target = await createTestTarget('pglite');
    database = await target.open();
    const db = database.db;
    const businesses = new BusinessesRepo(db);
    acme = (await businesses.create({ name: 'Acme Plumbing', greeting: 'Hi' })).id;
    dental = (await businesses.create({ name: 'Bright Smiles', greeting: 'Hi' })).id;
    const leads = new LeadsRepo(db);
    // Written one after another so "newest first" has an order to show.
    for (const [businessId, callSid, name] of [
      [acme, CALL_A, 'Dana'],
      [dental, 'CA-dental', 'Lee'],
      [acme, CALL_B, 'Sam'],
    ] as const) {
      leadIds.push(
        (await leads.save({ businessId, callSid, fields: { name }, complete: false, transcript: [] })).id,
      );
      await new Promise((r) => setTimeout(r, 5));
    }
    await new EmergenciesRepo(db).create({
      businessId: acme,
      callSid: CALL_A,
      category: 'flooding',
      trigger: 'basement is flooding',
      summary: 'Flooding',
      transcript: [{ speaker: 'caller', text: 'My basement is flooding' }],
    });
    const bookings = new BookingsRepo(db);
    // Made in this order; the later-made one is the earlier appointment.
    await bookings.book({
      businessId: acme,
      serviceId: 'drain',
      startsAt: new Date('2026-04-01T14:00:00Z'),
      endsAt: new Date('2026-04-01T15:00:00Z'),
      callSid: CALL_A,
    });
    await new Promise((r) => setTimeout(r, 5));
    await bookings.book({
      businessId: acme,
      serviceId: 'leak',
      startsAt: new Date('2026-03-20T14:00:00Z'),
      endsAt: new Date('2026-03-20T15:00:00Z'),
      callSid: CALL_B,
    });
    await new QuestionsRepo(db).create({
      businessId: acme,
      question: 'Do you fix sprinklers?',
      transcript: [],
      callSid: CALL_B,
    });
    app = Fastify();
    registerHttpEdge(app);
    registerReceptionistApi(app, { apiKey: KEY, db });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
    await target?.cleanup();
  });

  const get = async (url: string) => {
    const res = await app.inject({ method: 'GET', url, headers: auth });
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as Json).items as Json[];
  };

  it('needs the API key on every route', async () => {
    for (const url of ['/api/leads', '/api/emergencies', '/api/bookings', '/api/questions'])
      expect((await app.inject({ method: 'GET', url })).statusCode).toBe(401);
    const patch = await app.inject({
      method: 'PATCH',
      url: `/api/leads/${leadIds[0]}`,
      payload: { status: 'won' },
    });
    expect(patch.statusCode).toBe(401);
  });

  it('lists leads newest first across businesses, or for one business, call or limit', async () => {
    expect((await get('/api/leads')).map((l) => l.name)).toEqual(['Sam', 'Lee', 'Dana']);
    expect((await get(`/api/leads?businessId=${acme}`)).map((l) => l.name)).toEqual(['Sam', 'Dana']);
    expect((await get(`/api/leads?callSid=${CALL_A}`)).map((l) => l.name)).toEqual(['Dana']);
    expect((await get('/api/leads?limit=1')).map((l) => l.name)).toEqual(['Sam']);
    const bad = await app.inject({ method: 'GET', url: '/api/leads?limit=500', headers: auth });
    expect(bad.statusCode).toBe(400);
    const badBusiness = await app.inject({ method: 'GET', url: '/api/leads?businessId=acme', headers: auth });
    expect(badBusiness.statusCode).toBe(400);
  });

  it('moves a lead through its statuses and filters by status', async () => {
    const res = await app.inject({
      method: 'PATCH',
      url: `/api/leads/${leadIds[0]}`,
      headers: auth,
      payload: { status: 'contacted' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id: leadIds[0], status: 'contacted' });
    expect((await get('/api/leads?status=contacted')).map((l) => l.name)).toEqual(['Dana']);
    const wrong = await app.inject({
      method: 'PATCH',
      url: `/api/leads/${leadIds[0]}`,
      headers: auth,
      payload: { status: 'archived' },
    });
    expect(wrong.statusCode).toBe(400);
    // Another business's id cannot reach it.
    const elsewhere = await app.inject({
      method: 'PATCH',
      url: `/api/leads/${leadIds[0]}?businessId=${dental}`,
      headers: auth,
      payload: { status: 'won' },
    });
    expect(elsewhere.statusCode).toBe(404);
    const missing = await app.inject({
      method: 'PATCH',
      url: '/api/leads/00000000-0000-4000-8000-000000000000',
      headers: auth,
      payload: { status: 'won' },
    });
    expect(missing.statusCode).toBe(404);
  });

  it('lists emergencies, bookings and questions, filterable by call', async () => {
    expect(await get('/api/emergencies')).toMatchObject([
      { category: 'flooding', callSid: CALL_A, transcript: [{ text: 'My basement is flooding' }] },
    ]);
    expect(await get(`/api/emergencies?callSid=${CALL_B}`)).toEqual([]);
    // Newest made first, not earliest appointment first.
    expect((await get('/api/bookings')).map((b) => b.serviceId)).toEqual(['leak', 'drain']);
    expect((await get(`/api/bookings?callSid=${CALL_A}`)).map((b) => b.startsAt)).toEqual([
      '2026-04-01T14:00:00.000Z',
    ]);
    expect(await get(`/api/bookings?businessId=${dental}`)).toEqual([]);
    expect((await get(`/api/questions?callSid=${CALL_B}`)).map((q) => q.question)).toEqual([
      'Do you fix sprinklers?',
    ]);
    expect(await get('/api/questions?status=answered')).toEqual([]);
  });

  it('pages every list with ?limit=&cursor=, nextCursor null on the last page', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/leads?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await app.inject({ method: 'GET', url, headers: auth });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as { items: { name: string }[]; nextCursor: string | null };
      seen.push(...body.items.map((l) => l.name));
      cursor = body.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(['Sam', 'Lee', 'Dana']);
    expect(pages).toBe(2);
    for (const url of ['/api/emergencies', '/api/bookings', '/api/questions']) {
      const body = (await app.inject({ method: 'GET', url, headers: auth })).json() as Json;
      expect(Object.keys(body).sort(), url).toEqual(['items', 'nextCursor']);
      expect(body.nextCursor).toBeNull();
    }
    const first = (
      await app.inject({ method: 'GET', url: '/api/bookings?limit=1', headers: auth })
    ).json() as Json;
    const rest = (
      await app.inject({
        method: 'GET',
        url: `/api/bookings?limit=1&cursor=${first.nextCursor}`,
        headers: auth,
      })
    ).json() as Json;
    expect([...first.items, ...rest.items].map((b: Json) => b.serviceId)).toEqual(['leak', 'drain']);
    expect(rest.nextCursor).toBeNull();
  });

  it('refuses a tampered cursor and an unknown filter with 400 naming the parameter', async () => {
    const first = (
      await app.inject({ method: 'GET', url: '/api/leads?limit=1', headers: auth })
    ).json() as Json;
    const cursor = first.nextCursor as string;
    const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
    const tampered = [
      `${cursor.slice(0, -2)}!!`,
      Buffer.from(decoded.replace(/"[0-9a-f-]{36}"/, '"not-a-uuid"')).toString('base64url'),
      Buffer.from('["yesterday","00000000-0000-4000-8000-000000000000"]').toString('base64url'),
      'e30',
    ];
    for (const bad of tampered) {
      const res = await app.inject({
        method: 'GET',
        url: `/api/leads?cursor=${encodeURIComponent(bad)}`,
        headers: auth,
      });
      expect(res.statusCode, bad).toBe(400);
      expect(res.json()).toMatchObject({ error: 'validation_failed', details: [{ path: 'query.cursor' }] });
    }
    const unknown = await app.inject({ method: 'GET', url: '/api/leads?stauts=new', headers: auth });
    expect(unknown.statusCode).toBe(400);
    expect((unknown.json() as Json).message).toContain('"stauts"');
  });
});
