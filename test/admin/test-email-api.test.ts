import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerTestEmailApi } from '../../src/admin/test-email-api.js';
import { createNotifications, type Notifications } from '../../src/app/notifications.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/http/logger.js';
import { Metrics } from '../../src/http/metrics.js';
import { OutboxRepo } from '../../src/notify/index.js';
import { API_KEY, bearer, startHarness, type Harness } from './support/route-harness.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('POST /api/admin/test-email (alias /api/admin/test-sendgrid): a test email through the outbox', () => {
  let h: Harness;
  let notifications: Notifications;
  let dataDir: string;
  const delivery = new AbortController();
  let runs: Promise<void>[] = [];

  beforeAll(async () => {
    // A is the demo business: its saved notification email is office@acme-plumbing.example.
    // B has no notification settings at all.
    h = await startHarness({
      routes: ({ server, access, database, dataDir: dir }) => {
        dataDir = dir;
        const config = loadConfig({
          DATA_DIR: dir,
          NOTIFY_DELIVERY: 'local',
          NOTIFY_POLL_INTERVAL_MS: '100',
        });
        notifications = createNotifications({
          config,
          db: database.db,
          log: createLogger({ level: 'silent' }),
          metrics: new Metrics(),
          nodeId: 'test-node',
        });
        registerTestEmailApi(server, { access, db: database.db, notifier: notifications.notifier });
      },
    });
    runs = notifications.run(delivery.signal);
  });
  afterAll(async () => {
    delivery.abort();
    await Promise.all(runs);
    await h?.close();
  });

  const post = (url: string, token: string, payload?: Json) =>
    h.server.inject({ method: 'POST', url, headers: bearer(token), ...(payload ? { payload } : {}) });
  const outbox = () => new OutboxRepo(h.database.db);

  it('queues an email to the saved notification address: 202 {outboxId, to}; it is delivered locally', async () => {
    const res = await post('/api/admin/test-email', h.tokens.ownerA);
    expect(res.statusCode).toBe(202);
    const { outboxId, to } = res.json() as Json;
    expect(to).toBe('office@acme-plumbing.example');
    const item = await outbox().get(outboxId);
    expect(item).toMatchObject({
      businessId: h.a,
      kind: 'email',
      recipient: 'office@acme-plumbing.example',
      subject: 'Switchboard test email',
      cause: 'test',
    });
    expect(item!.body).toContain('Acme Plumbing');
    // The embedded default keeps it: the outbox row is marked sent and the mail written as a file.
    await vi.waitFor(async () => expect((await outbox().get(outboxId))?.status).toBe('sent'), {
      timeout: 10_000,
    });
    const eml = path.join(dataDir, 'outbox-mail', `${outboxId}.eml`);
    expect(existsSync(eml)).toBe(true);
    expect(readFileSync(eml, 'utf8')).toMatch(/Subject: Switchboard test email/);
  });

  it('sends to the address given instead; the older name does the same', async () => {
    const res = await post('/api/admin/test-sendgrid', h.tokens.ownerB, { email: 'me@b.example' });
    expect(res.statusCode).toBe(202);
    const { outboxId, to } = res.json() as Json;
    expect(to).toBe('me@b.example');
    expect(await outbox().get(outboxId)).toMatchObject({ businessId: h.b, recipient: 'me@b.example' });
  });

  it('400 when there is no address to send to, or the one given is not an email address', async () => {
    const none = await post('/api/admin/test-email', h.tokens.ownerB);
    expect(none.statusCode).toBe(400);
    expect(none.json()).toMatchObject({ error: 'validation_failed', details: [{ path: 'body.email' }] });
    const bad = await post('/api/admin/test-email', h.tokens.ownerA, { email: 'not an address' });
    expect(bad.statusCode).toBe(400);
    expect((bad.json() as Json).details[0].path).toBe('body.email');
  });

  it('an owner cannot send for another business (404); an agent cannot send at all (403)', async () => {
    const before = (await outbox().list({ businessId: h.a, cause: 'test' })).length;
    const other = await post(`/api/admin/test-email?businessId=${h.a}`, h.tokens.ownerB, {
      email: 'x@b.example',
    });
    expect(other.statusCode).toBe(404);
    const agent = await post('/api/admin/test-email', h.tokens.agentA);
    expect(agent.statusCode).toBe(403);
    expect((await outbox().list({ businessId: h.a, cause: 'test' })).length).toBe(before);
  });

  it('the API key names the business, or means the first one (the demo)', async () => {
    const named = await post(`/api/admin/test-email?businessId=${h.b}`, API_KEY, { email: 'ops@b.example' });
    expect(named.statusCode).toBe(202);
    expect((await outbox().get((named.json() as Json).outboxId))?.businessId).toBe(h.b);
    const unnamed = await post('/api/admin/test-email', API_KEY);
    expect(unnamed.statusCode).toBe(202);
    expect((unnamed.json() as Json).to).toBe('office@acme-plumbing.example');
  });

  it('refuses the unsigned (401)', async () => {
    const res = await h.server.inject({ method: 'POST', url: '/api/admin/test-email' });
    expect(res.statusCode).toBe(401);
  });
});
