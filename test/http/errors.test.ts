import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerReceptionistApi } from '../../src/admin/receptionist-api.js';
import { SessionTokens } from '../../src/auth/index.js';
import { registerAccess } from '../../src/http/access.js';
import { registerHttpEdge } from '../../src/http/edge.js';
import { ApiError } from '../../src/http/errors.js';
import { createLogger } from '../../src/http/logger.js';
import { BusinessesRepo, UsersRepo } from '../../src/store/index.js';
import { drivers, useDatabase } from '../store/drivers.js';

/**
 * A database error inside a route: the client gets "internal error" and a request id, nothing
 * of the SQL, its bound parameters or the stack; the log gets message and stack, never the
 * parameters (drizzle puts them in the error's message and `params`, PGlite in `params` too).
 */

const KEY = 'admin-key-0123456789abcdef';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const SECRET_PARAM = 'CAsecretBoundParameter0123456789';

describe.each(drivers)('a failing query on $name', (driver) => {
  if (driver.skipReason) {
    it.skip(`skipped: ${driver.skipReason}`, () => {});
    return;
  }
  const store = useDatabase(driver);
  let app: FastifyInstance;
  let businessId: string;
  const lines: string[] = [];

  beforeAll(async () => {
    const db = store.database.db;
    businessId = (await new BusinessesRepo(db).create({ name: 'Acme', greeting: 'Hi' })).id;
    // The leads query now fails inside the database, with the callSid bound as a parameter.
    await db.execute(sql`alter table leads rename column call_sid to call_sid_gone`);
    const destination = new Writable({
      write(chunk: Buffer, _e, cb) {
        lines.push(chunk.toString('utf8'));
        cb();
      },
    });
    app = Fastify({ loggerInstance: createLogger({ level: 'info', destination }) as FastifyBaseLogger });
    registerHttpEdge(app);
    const access = await registerAccess(app, {
      apiKey: KEY,
      users: new UsersRepo(db),
      sessions: new SessionTokens('errors-test-session-secret-0123456789', 3600),
      secureCookies: false,
    });
    registerReceptionistApi(app, { access, db });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('answers 500 with only "internal error" and the request id', async () => {
    const res = await app.inject({
      method: 'GET',
      url: `/api/leads?businessId=${businessId}&callSid=${SECRET_PARAM}`,
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(res.statusCode).toBe(500);
    const body = res.json() as Record<string, string>;
    expect(body).toEqual({
      error: 'internal_error',
      message: `internal error (request id ${res.headers['x-request-id']})`,
    });
    for (const leak of [SECRET_PARAM, 'select', 'call_sid', 'leads', ' at ', 'params']) {
      expect(res.body.toLowerCase()).not.toContain(leak.toLowerCase());
    }
  });

  it("logs the error's message and stack, never its bound parameters", async () => {
    const log = lines.join('');
    const entry = lines.map((l) => JSON.parse(l) as Json).find((l) => l.msg === 'request failed');
    expect(entry).toBeDefined();
    expect(entry!.err.message).toMatch(/^Failed query: select/);
    expect(entry!.err.stack).toMatch(/\n\s+at /);
    expect(entry!.err.cause.message).toMatch(/call_sid/);
    expect(log).not.toContain(SECRET_PARAM);
  });
});

describe('a 5xx answered on purpose (ApiError: not configured, an upstream busy)', () => {
  it('keeps its code and message for the client and logs a warning, not an error with a stack', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _e, cb) {
        lines.push(chunk.toString('utf8'));
        cb();
      },
    });
    const app = Fastify({
      loggerInstance: createLogger({ level: 'info', destination }) as FastifyBaseLogger,
    });
    registerHttpEdge(app);
    app.get('/place', async () => {
      throw new ApiError(503, 'telephony_not_configured', 'Placing calls needs Twilio.');
    });
    const res = await app.inject({ method: 'GET', url: '/place' });
    await app.close();
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ error: 'telephony_not_configured', message: 'Placing calls needs Twilio.' });
    const entries = lines.map((l) => JSON.parse(l) as Json);
    expect(entries.find((l) => l.msg === 'request refused: unavailable')).toMatchObject({
      level: 40,
      statusCode: 503,
      error: 'telephony_not_configured',
    });
    expect(entries.filter((l) => l.level >= 50)).toEqual([]);
  });
});
