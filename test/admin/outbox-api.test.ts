import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerOutboxApi } from '../../src/admin/outbox-api.js';
import { AlertEscalations, enqueue, OutboxDispatcher, OutboxRepo } from '../../src/notify/index.js';
import type { Database } from '../../src/store/index.js';
import { createTestTarget, type TestTarget } from '../store/drivers.js';
import { allKinds, createBusiness, ScriptedChannel } from '../notify/support/notify-fixtures.js';
import { createAccessTestApp, TEST_API_KEY as KEY, type AccessTestApp } from '../support/access.js';

const CALL = `CA${'c'.repeat(32)}`;

describe('GET /api/outbox', () => {
  let target: TestTarget;
  let database: Database;
  let t: AccessTestApp;
  let businessId: string;

  beforeAll(async () => {
    target = await createTestTarget('pglite');
    database = await target.open();
    const db = database.db;
    businessId = await createBusiness(db);
    await db.transaction(async (tx) => {
      await enqueue(tx, [
        {
          businessId,
          kind: 'sms',
          recipient: '+15005550101',
          body: 'flood',
          cause: 'emergency',
          callSid: CALL,
        },
        {
          businessId,
          kind: 'email',
          recipient: 'o@acme.test',
          subject: 's',
          body: 'flood',
          cause: 'emergency',
          callSid: CALL,
        },
        {
          businessId,
          kind: 'slack',
          recipient: 'https://hooks.slack.test/services/T0/B0/very-secret',
          body: 'flood',
          cause: 'emergency',
          callSid: CALL,
        },
        {
          businessId,
          kind: 'sms',
          recipient: '+15005550101',
          body: 'other call',
          cause: 'lead',
          callSid: 'CA-other',
        },
      ]);
      await new AlertEscalations({ db }).start(tx, {
        businessId,
        cause: 'emergency',
        callSid: CALL,
        message: 'Emergency',
        contacts: ['+15005550101'],
      });
    });
    const channel = new ScriptedChannel();
    channel.fallback = (n) => {
      if (n.kind === 'email') throw new Error('SMTP down');
      return { providerId: `SM-${n.id}` };
    };
    await new OutboxDispatcher({ db, channels: allKinds(channel), batchSize: 50 }).runOnce();

    t = await createAccessTestApp(db);
    registerOutboxApi(t.server, { access: t.access, outbox: new OutboxRepo(db) });
    await t.server.ready();
  });
  afterAll(async () => {
    await t?.close();
    await database?.close();
    await target?.cleanup();
  });

  const get = (url: string, key: string | null = KEY) =>
    t.server.inject({ method: 'GET', url, headers: key ? { authorization: `Bearer ${key}` } : {} });

  it('needs someone signed in', async () => {
    expect((await get('/api/outbox', null)).statusCode).toBe(401);
    expect((await get('/api/outbox', 'wrong-key-0123456789')).statusCode).toBe(401);
  });

  it("lists a call's notifications with status, attempts and the call's alert escalation", async () => {
    const res = await get(`/api/outbox?callSid=${CALL}`);
    expect(res.statusCode).toBe(200);
    const body = res.json() as {
      items: Array<{
        kind: string;
        status: string;
        recipient: string;
        history: Array<{ outcome: string }>;
        lastError: string | null;
      }>;
      escalations: Array<{ status: string; contacts: string[] }>;
    };
    expect(body.items.map((i) => i.kind).sort()).toEqual(['email', 'slack', 'sms', 'voice-call']);
    const email = body.items.find((i) => i.kind === 'email')!;
    expect(email).toMatchObject({ status: 'failed', history: [{ outcome: 'retryable-error' }] });
    expect(email.lastError).toContain('SMTP down');
    expect(body.items.find((i) => i.kind === 'sms')).toMatchObject({
      status: 'sent',
      history: [{ outcome: 'sent' }],
    });
    expect(body.escalations).toMatchObject([{ status: 'calling', contacts: ['+15005550101'] }]);
  });

  it('hides the Slack webhook token', async () => {
    const body = (await get(`/api/outbox?kind=slack`)).json() as { items: Array<{ recipient: string }> };
    expect(body.items).toEqual([expect.objectContaining({ recipient: 'https://hooks.slack.test/…' })]);
    expect(JSON.stringify(body)).not.toContain('very-secret');
  });

  it('filters by status and kind, as a list or repeated', async () => {
    const failed = (await get('/api/outbox?status=failed')).json() as { items: Array<{ kind: string }> };
    expect(failed.items.map((i) => i.kind)).toEqual(['email']);
    const some = (await get('/api/outbox?kind=sms,email&status=sent&status=failed')).json() as {
      items: unknown[];
    };
    expect(some.items).toHaveLength(3);
    expect((await get('/api/outbox?status=lost')).statusCode).toBe(400);
    expect((await get('/api/outbox?limit=0')).statusCode).toBe(400);
  });

  it('pages with limit and a cursor, also through rows written in one transaction, and shows one by id', async () => {
    type Page = { items: Array<{ id: string }>; nextCursor: string | null };
    const page = (await get('/api/outbox?limit=2')).json() as Page;
    expect(page.items).toHaveLength(2);
    const seen = page.items.map((i) => i.id);
    let cursor = page.nextCursor;
    let pages = 1;
    while (cursor) {
      const next = (await get(`/api/outbox?limit=2&cursor=${encodeURIComponent(cursor)}`)).json() as Page;
      seen.push(...next.items.map((i) => i.id));
      cursor = next.nextCursor;
      pages++;
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    // 2 + 2 + 1: the last page says it is the last, no empty page after it.
    expect(pages).toBe(3);
    expect((await get('/api/outbox?cursor=yesterday')).statusCode).toBe(400);
    const one = await get(`/api/outbox/${page.items[0]!.id}`);
    expect(one.json()).toMatchObject({ item: { id: page.items[0]!.id } });
    expect((await get('/api/outbox/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    expect((await get('/api/outbox/nope')).statusCode).toBe(400);
  });

  // Last: it adds another business's notification, which the counts above do not expect.
  it("shows a user their business's notifications only; another's answers 404 like a missing one", async () => {
    const other = await createBusiness(database.db, 'Bright Smiles');
    await database.db.transaction((tx) =>
      enqueue(tx, [
        {
          businessId: other,
          kind: 'sms',
          recipient: '+15005550199',
          body: 'x',
          cause: 'lead',
          callSid: CALL,
        },
      ]),
    );
    const theirs = (await new OutboxRepo(database.db).list({ businessId: other }))[0]!;
    const owner = await t.signIn('owner', businessId);
    for (const as of [owner.bearer, owner.cookie]) {
      const call = await t.server.inject({ method: 'GET', url: `/api/outbox?callSid=${CALL}`, ...as });
      const body = call.json() as { items: Array<{ businessId: string }>; escalations: unknown[] };
      expect(body.items).toHaveLength(4);
      expect(body.items.every((i) => i.businessId === businessId)).toBe(true);
      expect(body.escalations).toHaveLength(1);
      const one = await t.server.inject({ method: 'GET', url: `/api/outbox/${theirs.id}`, ...as });
      const missing = await t.server.inject({
        method: 'GET',
        url: '/api/outbox/00000000-0000-4000-8000-000000000000',
        ...as,
      });
      expect(one.statusCode).toBe(404);
      expect(one.json()).toEqual(missing.json());
      const asked = await t.server.inject({ method: 'GET', url: `/api/outbox?businessId=${other}`, ...as });
      expect(asked.statusCode).toBe(404);
    }
    // The API key still sees both.
    const all = (await get(`/api/outbox?callSid=${CALL}`)).json() as { items: unknown[] };
    expect(all.items).toHaveLength(5);
  });
});
