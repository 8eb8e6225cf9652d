import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerPhoneMenuApi } from '../../src/admin/phone-menu-api.js';
import { createHttpServer } from '../../src/app/http-server.js';
import { SessionTokens } from '../../src/auth/index.js';
import { loadConfig } from '../../src/config.js';
import { registerAccess } from '../../src/http/access.js';
import { createLogger } from '../../src/http/logger.js';
import { Metrics } from '../../src/http/metrics.js';
import {
  BusinessesRepo,
  DEMO_BUSINESS_ID,
  seedDemoBusiness,
  type Db,
  type UsersRepo,
} from '../../src/store/index.js';
import { drivers, silentLogger, useDatabase } from '../store/drivers.js';
import { createAccessTestApp, type AccessTestApp, type Credentials } from '../support/access.js';

/** GET and PUT /api/business/:id/phone-menu: who may, what is stored, what is refused. */

const MENU = {
  enabled: true,
  options: [
    { digit: '1', label: 'sales', action: 'dial', number: '+15005550111' },
    { digit: '2', label: 'support', action: 'assistant' },
  ],
};

describe.each(drivers)('phone menu API on $name', (driver) => {
  if (driver.skipReason) {
    it.skip(`skipped: ${driver.skipReason}`, () => {});
    return;
  }
  const store = useDatabase(driver);
  let db: Db;
  let t: AccessTestApp;
  let app: FastifyInstance;
  let otherId: string;

  beforeAll(async () => {
    db = store.database.db;
    await seedDemoBusiness(db, silentLogger);
    otherId = (
      await new BusinessesRepo(db).create({
        name: 'Bright Smiles Dental',
        trade: 'dental',
        greeting: 'Bright Smiles, how can we help?',
        timezone: 'America/Chicago',
        hours: { weekly: {} },
      })
    ).id;
    t = await createAccessTestApp(db);
    app = t.server;
    registerPhoneMenuApi(app, { access: t.access, db });
    await app.ready();
  });
  afterAll(async () => t?.close());

  const url = (id: string = DEMO_BUSINESS_ID) => `/api/business/${id}/phone-menu`;
  const put = (payload: unknown, as: Credentials = t.apiKey, id?: string) =>
    app.inject({ method: 'PUT', url: url(id), ...as, payload: payload as Record<string, unknown> });

  it('is null before one is set, then stores and answers the menu with its defaults; other settings are kept', async () => {
    const before = await app.inject({ method: 'GET', url: url(), ...t.apiKey });
    expect(before.json()).toEqual({ businessId: DEMO_BUSINESS_ID, phoneMenu: null });
    const profileBefore = (await new BusinessesRepo(db).getById(DEMO_BUSINESS_ID))!.settings['profile'];

    const res = await put(MENU);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ businessId: DEMO_BUSINESS_ID, phoneMenu: { ...MENU, timeoutSeconds: 5 } });
    const stored = (await new BusinessesRepo(db).getById(DEMO_BUSINESS_ID))!.settings;
    expect(stored['phoneMenu']).toEqual({ ...MENU, timeoutSeconds: 5 });
    expect(stored['profile']).toEqual(profileBefore);
    expect((await app.inject({ method: 'GET', url: url(), ...t.apiKey })).json()).toEqual(res.json());
  });

  it('refuses a bad menu with 400 naming where each problem is, and stores nothing', async () => {
    const res = await put({
      enabled: true,
      timeoutSeconds: 30,
      options: [{ digit: '1', label: 'sales', action: 'dial', number: 'call bob' }],
    });
    expect(res.statusCode).toBe(400);
    const body = res.json() as { error: string; details: Array<{ path: string }> };
    expect(body.error).toBe('validation_failed');
    expect(body.details.map((d) => d.path)).toEqual(
      expect.arrayContaining(['body.timeoutSeconds', 'body.options.0.number']),
    );
    const stored = (await new BusinessesRepo(db).getById(DEMO_BUSINESS_ID))!.settings;
    expect(stored['phoneMenu']).toEqual({ ...MENU, timeoutSeconds: 5 });
  });

  it("an owner sets their own business's menu; another business's is not found; an agent may not", async () => {
    const owner = await t.signIn('owner', DEMO_BUSINESS_ID);
    expect((await put({ ...MENU, enabled: false }, owner.bearer)).statusCode).toBe(200);
    expect((await put(MENU, owner.bearer, otherId)).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: url(otherId), ...owner.bearer })).statusCode).toBe(404);
    const agent = await t.signIn('agent', DEMO_BUSINESS_ID);
    expect((await put(MENU, agent.bearer)).statusCode).toBe(403);
    expect((await app.inject({ method: 'PUT', url: url(), payload: MENU })).statusCode).toBe(401);
  });

  it('an unknown business: 404', async () => {
    expect((await put(MENU, t.apiKey, '00000000-0000-4000-8000-00000000dead')).statusCode).toBe(404);
  });
});

describe('phone menu API description', () => {
  it('is in /openapi.json with its body', async () => {
    const config = loadConfig({ DATA_DIR: '/nonexistent-not-used', LOG_LEVEL: 'silent' });
    const { server } = await createHttpServer({
      config,
      log: createLogger({ level: 'silent' }),
      metrics: new Metrics(),
    });
    const access = await registerAccess(server, {
      apiKey: 'phone-menu-api-key-0123456789abcdef',
      users: { get: async () => undefined } as unknown as UsersRepo,
      sessions: new SessionTokens('session-secret-of-at-least-thirty-two-chars', 600),
      secureCookies: false,
    });
    registerPhoneMenuApi(server, { access, db: {} as Db });
    await server.ready();
    const doc = (await server.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    };
    const path = doc.paths['/api/business/{id}/phone-menu'];
    expect(Object.keys(path ?? {}).sort()).toEqual(['get', 'put']);
    expect(JSON.stringify(path?.['put']?.requestBody)).toContain('timeoutSeconds');
    await server.close();
  });
});
