import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerReceptionistApi } from '../../src/admin/receptionist-api.js';
import type { BusinessId } from '../../src/ids.js';
import { BookingsRepo, EmergenciesRepo, LeadsRepo, QuestionsRepo } from '../../src/store/index.js';
import { outbox } from '../../src/store/schema/index.js';
import { recordsServer, type Principals, type RecordsServer } from './records-access.js';

const CALL_A = `CA${'a'.repeat(32)}`;
const CALL_B = `CA${'b'.repeat(32)}`;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('receptionist records over the admin API', () => {
  let s: RecordsServer;
  let app: FastifyInstance;
  let acme: BusinessId;
  let dental: BusinessId;
  let as: Principals;
  let auth: Record<string, string>;
  let emergencyId: string;
  const leadIds: string[] = [];

  beforeAll(async () => {
    s = await recordsServer(
      (server, deps) => registerReceptionistApi(server, deps),
      async (db, ids) => {
        ({ acme, dental } = ids);
        await seed(db);
      },
    );
    ({ app, as } = s);
    auth = as.key;
  });
  afterAll(async () => s?.close());

  async function seed(db: RecordsServer['db']): Promise<void> {
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
    emergencyId = (
      await new EmergenciesRepo(db).create({
        businessId: acme,
        callSid: CALL_A,
        category: 'flooding',
        trigger: 'basement is flooding',
        summary: 'Flooding',
        transcript: [{ speaker: 'caller', text: 'My basement is flooding' }],
      })
    ).id;
    const caused = { businessId: acme, cause: 'emergency', causeId: emergencyId, callSid: CALL_A };
    await db.insert(outbox).values([
      { ...caused, kind: 'sms', recipient: '+15550001111', body: 'Flooding', status: 'sent', attempts: 1 },
      {
        ...caused,
        kind: 'slack',
        recipient: 'https://hooks.slack.example/services/T0/B0/secret-token',
        body: 'Flooding',
        status: 'failed',
        attempts: 2,
        lastError: 'HTTP 500',
      },
      // A lead's email on the same call is not the emergency's.
      {
        ...caused,
        cause: 'lead',
        causeId: leadIds[0],
        kind: 'email',
        recipient: 'o@acme.example',
        body: 'Lead',
      },
    ]);
    await new EmergenciesRepo(db).create({
      businessId: dental,
      category: 'pain',
      trigger: 'tooth hurts',
      summary: 'Pain',
      transcript: [],
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
  }

  const get = async (url: string, headers = auth) => {
    const res = await app.inject({ method: 'GET', url, headers });
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as Json).items as Json[];
  };

  it('needs a signed-in principal on every route', async () => {
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
    expect(await get(`/api/emergencies?businessId=${acme}`)).toMatchObject([
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

  it("shows each emergency's notifications with their delivery, a Slack webhook by its origin only", async () => {
    const [flooding] = await get(`/api/emergencies?callSid=${CALL_A}`);
    expect(flooding).toMatchObject({ id: emergencyId, acknowledgedAt: null, acknowledgedBy: null });
    // Written in one transaction, they share a time: compared by channel.
    const byChannel = (flooding!.notifications as Json[]).sort((a, b) => a.channel.localeCompare(b.channel));
    expect(byChannel).toEqual([
      expect.objectContaining({
        channel: 'slack',
        to: 'https://hooks.slack.example/…',
        status: 'failed',
        attempts: 2,
        lastError: 'HTTP 500',
        sentAt: null,
      }),
      expect.objectContaining({
        channel: 'sms',
        to: '+15550001111',
        status: 'sent',
        attempts: 1,
        lastError: null,
        deliveredAt: null,
      }),
    ]);
    const [pain] = await get(`/api/emergencies?businessId=${dental}`);
    expect(pain!.notifications).toEqual([]);
  });

  describe('tenant isolation', () => {
    const lists = ['/api/leads', '/api/emergencies', '/api/bookings', '/api/questions'];

    it("a user's lists hold their own business's records only, whoever they name", async () => {
      for (const url of lists) {
        for (const who of [as.ownerA, as.agentA]) {
          const items = await get(url, who);
          expect(items.length, url).toBeGreaterThan(0);
          expect(new Set(items.map((i) => i.businessId)), url).toEqual(new Set([acme]));
          expect(await get(`${url}?businessId=${acme}`, who), url).toEqual(items);
        }
        const other = await app.inject({
          method: 'GET',
          url: `${url}?businessId=${acme}`,
          headers: as.ownerB,
        });
        expect(other.statusCode, url).toBe(404);
        expect(
          (await get(url, as.ownerB)).every((i) => i.businessId === dental),
          url,
        ).toBe(true);
      }
      expect((await get('/api/leads', as.ownerB)).map((l) => l.name)).toEqual(['Lee']);
    });

    it('the API key and admins see every business unless they name one', async () => {
      for (const who of [as.key, as.admin]) {
        expect((await get('/api/leads', who)).map((l) => l.name)).toEqual(['Sam', 'Lee', 'Dana']);
        expect((await get(`/api/leads?businessId=${dental}`, who)).map((l) => l.name)).toEqual(['Lee']);
      }
    });

    it("another business's lead answers 404 like a missing one, and is left unchanged", async () => {
      const acmeLead = leadIds[2]!;
      const theirs = await app.inject({
        method: 'PATCH',
        url: `/api/leads/${acmeLead}`,
        headers: as.ownerB,
        payload: { status: 'lost' },
      });
      const missing = await app.inject({
        method: 'PATCH',
        url: '/api/leads/00000000-0000-4000-8000-000000000000',
        headers: as.ownerB,
        payload: { status: 'lost' },
      });
      expect([theirs.statusCode, missing.statusCode]).toEqual([404, 404]);
      expect(theirs.json()).toEqual(missing.json());
      expect((await get(`/api/leads?callSid=${CALL_B}`)).map((l) => l.status)).toEqual(['new']);
    });

    it("an agent moves their own business's lead along (calling leads back is their work)", async () => {
      const res = await app.inject({
        method: 'PATCH',
        url: `/api/leads/${leadIds[2]}`,
        headers: as.agentA,
        payload: { status: 'contacted' },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect((await get(`/api/leads?callSid=${CALL_B}`)).map((l) => l.status)).toEqual(['contacted']);
    });
  });
});
