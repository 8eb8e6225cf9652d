import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerBusinessApi } from '../../src/admin/business-api.js';
import { profileFromStored } from '../../src/business/stored-profile.js';
import { resolveNotificationSettings } from '../../src/notify/settings.js';
import { BusinessesRepo, DEMO_BUSINESS_ID, seedDemoBusiness, type Db } from '../../src/store/index.js';
import { drivers, silentLogger, useDatabase } from '../store/drivers.js';
import { createAccessTestApp, type AccessTestApp, type Credentials } from '../support/access.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.each(drivers)('business admin API on $name', (driver) => {
  if (driver.skipReason) {
    it.skip(`skipped: ${driver.skipReason}`, () => {});
    return;
  }
  const store = useDatabase(driver);
  let db: Db;
  let t: AccessTestApp;
  let app: FastifyInstance;
  let freeId: string;
  const changed: { id: string; faq: unknown }[] = [];

  beforeAll(async () => {
    db = store.database.db;
    await seedDemoBusiness(db, silentLogger);
    freeId = (
      await new BusinessesRepo(db).create({
        name: 'Bright Smiles Dental',
        trade: 'dental',
        greeting: 'Bright Smiles, how can we help?',
        timezone: 'America/Chicago',
        hours: { weekly: { mon: [{ open: '09:00', close: '17:00' }] } },
      })
    ).id;
    t = await createAccessTestApp(db);
    app = t.server;
    registerBusinessApi(app, {
      access: t.access,
      db,
      onProfileChanged: async (id, profile) => {
        changed.push({ id, faq: profile.faq });
        if (profile.greeting === 'hook fails') throw new Error('knowledge base is down');
      },
    });
    await app.ready();
  });
  afterAll(async () => {
    await t?.close();
  });

  const get = (url: string, as: Credentials = t.apiKey) => app.inject({ method: 'GET', url, ...as });
  const put = (url: string, payload: unknown, as: Credentials = t.apiKey) =>
    app.inject({ method: 'PUT', url, ...as, payload: payload as Json });
  const post = (url: string, payload: unknown, as: Credentials = t.apiKey) =>
    app.inject({ method: 'POST', url, ...as, payload: payload as Json });
  const stored = async (id: string) => (await new BusinessesRepo(db).getById(id as never))!;

  it('refuses requests from nobody signed in', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/business' })).statusCode).toBe(401);
    expect(
      (await app.inject({ method: 'PUT', url: `/api/business/${freeId}`, payload: { name: 'x' } }))
        .statusCode,
    ).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/api/admin/business/notifications' })).statusCode).toBe(
      401,
    );
  });

  it('pages businesses oldest first (the default one first) with ?limit=&cursor=', async () => {
    const first = (await get('/api/business?limit=1')).json() as Json;
    expect(first.items.map((b: Json) => b.id)).toEqual([DEMO_BUSINESS_ID]);
    expect(typeof first.nextCursor).toBe('string');
    const second = (await get(`/api/business?limit=1&cursor=${first.nextCursor}`)).json() as Json;
    expect(second.items.map((b: Json) => b.id)).toEqual([freeId]);
    expect(second.nextCursor).toBeNull();
    expect((await get('/api/business?limit=1&cursor=AAAA')).statusCode).toBe(400);
  });

  it('lists businesses and shows one with its profile, notifications and plan limits', async () => {
    const list = (await get('/api/business')).json() as Json;
    expect(list.items.map((b: Json) => b.name)).toEqual(['Acme Plumbing', 'Bright Smiles Dental']);
    const res = await get(`/api/business/${DEMO_BUSINESS_ID}`);
    expect(res.statusCode).toBe(200);
    const b = (res.json() as Json).business;
    expect(b).toMatchObject({
      id: DEMO_BUSINESS_ID,
      name: 'Acme Plumbing',
      trade: 'plumbing',
      plan: 'PRO',
      phoneNumbers: ['+15005550006'],
      profile: { timezone: 'America/New_York', emergencyNumber: '+12125550147', transferNumber: null },
      notifications: { emergency: { sms: ['+12125550147'], email: ['owner@acme-plumbing.example'] } },
      problems: [],
    });
    // The plan's whole row of the plan table, "no limit" as null.
    expect(b.limits).toEqual({
      chatWidget: 'full',
      leadQuestions: null,
      voiceAgent: true,
      realtime: true,
      emergencyVoiceCalls: true,
      analytics: 'full',
      monitoring: true,
      brandingVisible: false,
    });
    expect(b.profile.services.map((s: Json) => s.id)).toEqual([
      'drain-cleaning',
      'water-heater',
      'leak-repair',
    ]);
    // A malformed id is refused by the route schema, naming the parameter.
    expect((await get('/api/business/not-a-uuid')).statusCode).toBe(400);
    expect((await get('/api/business/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
  });

  it('updates greeting, hours, services, FAQ and numbers, and the next call reads them', async () => {
    const res = await put(`/api/business/${freeId}`, {
      profile: {
        greeting: 'Bright Smiles Dental, this is the virtual receptionist.',
        afterHoursGreeting: "We're closed; we open again {nextOpen}.",
        hours: {
          weekly: { mon: [{ open: '08:00', close: '16:00' }], tue: [{ open: '08:00', close: '16:00' }] },
        },
        services: [{ id: 'cleaning', name: 'Cleaning', durationMinutes: 45, price: '$99' }],
        faq: [{ question: 'Do you take new patients?', answer: 'Yes, we do.' }],
        transferNumber: '+1 (312) 555-0100',
        agentNumber: '+1 312 555 0122',
        emergencyNumber: '+13125550111',
      },
    });
    expect(res.statusCode).toBe(200);
    expect((res.json() as Json).business.profile).toMatchObject({
      greeting: 'Bright Smiles Dental, this is the virtual receptionist.',
      transferNumber: '+13125550100',
      agentNumber: '+13125550122',
      services: [{ id: 'cleaning', name: 'Cleaning', durationMinutes: 45, aliases: [], bookable: true }],
    });
    // What the call path builds from the stored row.
    const row = await stored(freeId);
    const { profile, problems } = profileFromStored(row);
    expect(problems).toEqual([]);
    expect(profile).toMatchObject({
      name: 'Bright Smiles Dental',
      trade: 'dental',
      greeting: 'Bright Smiles Dental, this is the virtual receptionist.',
      afterHoursGreeting: "We're closed; we open again {nextOpen}.",
      transferNumber: '+13125550100',
      agentNumber: '+13125550122',
      emergencyNumber: '+13125550111',
      faq: [{ question: 'Do you take new patients?', answer: 'Yes, we do.' }],
    });
    expect(row.hours.weekly.tue).toEqual([{ open: '08:00', close: '16:00' }]);
    expect(row.settings).toHaveProperty('profile.services.0.id', 'cleaning');
    // Whatever depends on the profile (the FAQ in the knowledge base) hears of it.
    expect(changed.at(-1)).toEqual({
      id: freeId,
      faq: [{ question: 'Do you take new patients?', answer: 'Yes, we do.' }],
    });

    // null removes an optional part; fields not sent stay.
    const cleared = await put(`/api/business/${freeId}`, {
      profile: { transferNumber: null, afterHoursGreeting: null },
    });
    expect(cleared.statusCode).toBe(200);
    const after = profileFromStored(await stored(freeId)).profile;
    expect(after.transferNumber).toBeUndefined();
    expect(after.afterHoursGreeting).toBeUndefined();
    expect(after.emergencyNumber).toBe('+13125550111');
    expect(after.services).toHaveLength(1);
  });

  it('keeps a change whose after-change hook fails, and says so', async () => {
    const res = await put(`/api/business/${freeId}`, { profile: { greeting: 'hook fails' } });
    expect(res.statusCode).toBe(200);
    expect((res.json() as Json).warnings).toEqual([
      'saved, but updating what depends on the profile (the FAQ search) failed; see the server log',
    ]);
    expect((await stored(freeId)).greeting).toBe('hook fails');
  });

  it('accepts back what GET returned', async () => {
    const before = ((await get(`/api/business/${DEMO_BUSINESS_ID}`)).json() as Json).business;
    const res = await put(`/api/business/${DEMO_BUSINESS_ID}`, before);
    expect(res.statusCode).toBe(200);
    const after = (res.json() as Json).business;
    expect({ ...after, updatedAt: null }).toEqual({ ...before, updatedAt: null });
  });

  it('refuses an invalid profile with the reasons, and stores nothing', async () => {
    const before = await stored(freeId);
    const cases: [unknown, RegExp][] = [
      [{ profile: { timezone: 'Mars/Olympus' } }, /^body\.profile\.timezone: must be an IANA time zone/],
      [
        { profile: { services: [{ id: 's', name: 'S', durationMinutes: 0 }] } },
        /^body\.profile\.services\.0\.durationMinutes/,
      ],
      [
        { profile: { transferNumber: 'ask for Bob' } },
        /^body\.profile\.transferNumber: must be a phone number/,
      ],
      [
        { profile: { hours: { weekly: { mon: [{ open: '18:00', close: '08:00' }] } } } },
        /close must be after open/,
      ],
      [{ profile: { greting: 'typo' } }, /greting/],
      [{ trade: 'astrology' }, /^body\.trade: /],
      [
        { notifications: { emergency: { sms: ['not a phone'] } } },
        /^body\.notifications\.emergency\.sms\.0: /,
      ],
    ];
    for (const [payload, reason] of cases) {
      const res = await put(`/api/business/${freeId}`, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      const issues = ((res.json() as Json).details as { path: string; message: string }[]).map(
        (d) => `${d.path}: ${d.message}`,
      );
      expect(
        issues.some((i) => reason.test(i)),
        `${issues.join('; ')} vs ${reason}`,
      ).toBe(true);
    }
    expect((await stored(freeId)).updatedAt).toEqual(before.updatedAt);
  });

  it('allows at most 5 lead questions on the FREE plan', async () => {
    const six = ['name', 'phone', 'address', 'need', 'urgency', 'email'].map((field) => ({ field }));
    const refused = await put(`/api/business/${freeId}`, { profile: { leadQuestions: six } });
    expect(refused.statusCode).toBe(400);
    expect((refused.json() as Json).details).toEqual([
      {
        path: 'body.profile.leadQuestions',
        message: 'the FREE plan allows at most 5 lead questions (got 6)',
      },
    ]);
    const ok = await put(`/api/business/${freeId}`, {
      profile: { leadQuestions: six.slice(0, 5).map((q) => ({ ...q, prompt: `Your ${q.field}?` })) },
    });
    expect(ok.statusCode).toBe(200);
    expect(profileFromStored(await stored(freeId)).profile.leadQuestions).toHaveLength(5);
    // The PRO demo has no such limit.
    expect(
      (await put(`/api/business/${DEMO_BUSINESS_ID}`, { profile: { leadQuestions: six } })).statusCode,
    ).toBe(200);
  });

  it('replaces the notification sections it is given and warns when the plan has no voice alerts', async () => {
    const res = await put(`/api/business/${freeId}`, {
      notifications: {
        emergency: {
          sms: ['+13125550111'],
          calls: ['+13125550111'],
          email: ['dr.lee@brightsmiles.example'],
          slackWebhookUrl: 'https://hooks.slack.test/services/T0/B0/secret',
        },
      },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json() as Json;
    expect(body.warnings).toEqual([
      'notifications.emergency.calls: emergency voice calls need the PRO plan; the FREE plan sends SMS, email and Slack only',
    ]);
    // The Slack URL is a secret: masked in answers, kept when the masked value is sent back.
    expect(body.business.notifications.emergency.slackWebhookUrl).toBe('https://hooks.slack.test/…');
    const again = await put(`/api/business/${freeId}`, {
      notifications: { emergency: body.business.notifications.emergency },
    });
    expect(again.statusCode).toBe(200);
    const settings = resolveNotificationSettings((await stored(freeId)).settings).settings;
    expect(settings.emergency.slackWebhookUrl).toBe('https://hooks.slack.test/services/T0/B0/secret');
    expect(settings.emergency.email).toEqual(['dr.lee@brightsmiles.example']);
  });

  it("serves the product's notification settings path for the default business", async () => {
    const res = await get('/api/admin/business/notifications');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      businessId: DEMO_BUSINESS_ID,
      notificationEmail: 'office@acme-plumbing.example',
      notificationPhoneNumber: '+12125550147',
      emergency: { calls: ['+12125550147', '+12125550188'] },
    });
    const updated = await put('/api/admin/business/notifications', {
      notificationEmail: 'alerts@business.example',
      notificationPhoneNumber: '+1-555-123-4567',
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({
      notificationEmail: 'alerts@business.example',
      notificationPhoneNumber: '+15551234567',
      emergency: { sms: ['+15551234567'], calls: ['+15551234567'], email: ['alerts@business.example'] },
      leads: { email: ['alerts@business.example'] },
      warnings: [],
    });
    const bad = await put('/api/admin/business/notifications', { notificationEmail: 'nope' });
    expect(bad.statusCode).toBe(400);
    const badSection = await put('/api/admin/business/notifications', { leads: 'everyone' });
    expect(badSection.statusCode).toBe(400);
  });

  it('keeps both of two edits made at the same moment', async () => {
    const [a, b] = await Promise.all([
      put(`/api/business/${DEMO_BUSINESS_ID}`, { profile: { greeting: 'Hello from edit A' } }),
      put(`/api/business/${DEMO_BUSINESS_ID}`, {
        profile: { faq: [{ question: 'Edit B?', answer: 'Yes.' }] },
      }),
    ]);
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    const { profile } = profileFromStored(await stored(DEMO_BUSINESS_ID));
    expect(profile.greeting).toBe('Hello from edit A');
    expect(profile.faq).toEqual([{ question: 'Edit B?', answer: 'Yes.' }]);
  });

  it("shows an owner or agent their own business only; another's answers as a missing one", async () => {
    const owner = await t.signIn('owner', freeId);
    const agent = await t.signIn('agent', freeId);
    for (const as of [owner.bearer, owner.cookie, agent.bearer]) {
      const list = (await get('/api/business', as)).json() as Json;
      expect(list.items.map((b: Json) => b.id)).toEqual([freeId]);
      expect((await get(`/api/business/${freeId}`, as)).statusCode).toBe(200);
      const theirs = await get(`/api/business/${DEMO_BUSINESS_ID}`, as);
      const missing = await get('/api/business/00000000-0000-4000-8000-000000000000', as);
      expect(theirs.statusCode).toBe(404);
      expect(theirs.json()).toEqual(missing.json());
      const notes = await get('/api/admin/business/notifications', as);
      expect((notes.json() as Json).businessId).toBe(freeId);
      const other = await get(`/api/admin/business/notifications?businessId=${DEMO_BUSINESS_ID}`, as);
      expect(other.statusCode).toBe(404);
    }
    const before = await stored(DEMO_BUSINESS_ID);
    const change = await put(`/api/business/${DEMO_BUSINESS_ID}`, { name: 'Mine now' }, owner.bearer);
    expect(change.statusCode).toBe(404);
    const notes = await put(
      `/api/admin/business/notifications?businessId=${DEMO_BUSINESS_ID}`,
      { notificationEmail: 'thief@example.com' },
      owner.cookie,
    );
    expect(notes.statusCode).toBe(404);
    expect((await stored(DEMO_BUSINESS_ID)).updatedAt).toEqual(before.updatedAt);
  });

  it('lets an owner change their business, not an agent; the cookie needs the CSRF token', async () => {
    const owner = await t.signIn('owner', freeId);
    const agent = await t.signIn('agent', freeId);
    const byAgent = await put(`/api/business/${freeId}`, { name: 'Agent was here' }, agent.bearer);
    expect(byAgent.statusCode).toBe(403);
    expect(
      (await put('/api/admin/business/notifications', { notificationEmail: 'a@b.example' }, agent.cookie))
        .statusCode,
    ).toBe(403);
    const noCsrf = await put(`/api/business/${freeId}`, { name: 'No token' }, owner.cookieWithoutCsrf);
    expect(noCsrf.statusCode).toBe(403);
    expect((noCsrf.json() as Json).error).toBe('csrf_failed');
    const ok = await put(`/api/business/${freeId}`, { name: 'Bright Smiles Dental' }, owner.cookie);
    expect(ok.statusCode).toBe(200);
    const notes = await put(
      '/api/admin/business/notifications',
      { notificationEmail: 'dr.lee@brightsmiles.example' },
      owner.cookie,
    );
    expect(notes.statusCode).toBe(200);
    expect(notes.json()).toMatchObject({
      businessId: freeId,
      notificationEmail: 'dr.lee@brightsmiles.example',
    });
  });

  it('shows an operator the business asked for with ?businessId= on the notification settings', async () => {
    const admin = await t.signIn('admin');
    for (const as of [t.apiKey, admin.bearer]) {
      const res = await get(`/api/admin/business/notifications?businessId=${freeId}`, as);
      expect((res.json() as Json).businessId).toBe(freeId);
    }
    expect(((await get('/api/business', admin.bearer)).json() as Json).items).toHaveLength(2);
  });

  it('creates a business for operators only (FREE unless told), answered as GET shows it', async () => {
    const created = await post('/api/business', {
      name: 'Sparks Electric',
      trade: 'electrical',
      timezone: 'America/Denver',
    });
    expect(created.statusCode).toBe(201);
    const b = (created.json() as Json).business;
    expect(b).toMatchObject({
      name: 'Sparks Electric',
      trade: 'electrical',
      plan: 'FREE',
      profile: { timezone: 'America/Denver' },
      limits: { leadQuestions: 5, voiceAgent: false, analytics: 'none' },
    });
    expect((await get(`/api/business/${b.id}`)).json()).toEqual({ business: b });
    const admin = await t.signIn('admin');
    const pro = await post(
      '/api/business',
      { name: 'Glow Salon', trade: 'salon', timezone: 'UTC', plan: 'PRO' },
      admin.bearer,
    );
    expect((pro.json() as Json).business.plan).toBe('PRO');
    const owner = await t.signIn('owner', freeId);
    const byOwner = await post(
      '/api/business',
      { name: 'Mine', trade: 'general', timezone: 'UTC' },
      owner.bearer,
    );
    expect(byOwner.statusCode).toBe(403);
    const bad = await post('/api/business', { name: 'X', trade: 'general', timezone: 'Mars/Olympus' });
    expect(bad.statusCode).toBe(400);
    expect(JSON.stringify((bad.json() as Json).details)).toContain('body.timezone');
  });

  it('changes the plan for operators only; an owner sending the same plan back changes nothing', async () => {
    const id = (
      (await post('/api/business', { name: 'Plan Co', trade: 'general', timezone: 'UTC' })).json() as Json
    ).business.id as string;
    const owner = await t.signIn('owner', id);
    const refused = await put(`/api/business/${id}`, { plan: 'PRO' }, owner.bearer);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toEqual({ error: 'forbidden', message: 'Only an admin may change the plan.' });
    expect((await stored(id)).plan).toBe('FREE');
    const same = await put(`/api/business/${id}`, { plan: 'FREE', name: 'Plan Co.' }, owner.bearer);
    expect(same.statusCode).toBe(200);
    const up = await put(`/api/business/${id}`, { plan: 'PRO' });
    expect(up.statusCode).toBe(200);
    expect((up.json() as Json).business).toMatchObject({ plan: 'PRO', limits: { voiceAgent: true } });
    const six = ['name', 'phone', 'address', 'need', 'urgency', 'email'].map((field) => ({ field }));
    expect((await put(`/api/business/${id}`, { profile: { leadQuestions: six } })).statusCode).toBe(200);
    // Back to FREE with six lead questions stored: the new plan's limit is checked.
    const down = await put(`/api/business/${id}`, { plan: 'FREE' });
    expect(down.statusCode).toBe(400);
    expect((down.json() as Json).message).toContain('the FREE plan allows at most 5 lead questions (got 6)');
    expect((await stored(id)).plan).toBe('PRO');
    const admin = await t.signIn('admin');
    const basic = await put(`/api/business/${id}`, { plan: 'BASIC' }, admin.bearer);
    expect((basic.json() as Json).business.plan).toBe('BASIC');
  });
});
