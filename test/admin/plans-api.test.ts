import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createHttpServer } from '../../src/app/http-server.js';
import { registerPlansApi } from '../../src/admin/plans-api.js';
import { SessionTokens } from '../../src/auth/index.js';
import { PLAN_LIMITS } from '../../src/business/index.js';
import { loadConfig } from '../../src/config.js';
import { registerAccess } from '../../src/http/access.js';
import { createLogger } from '../../src/http/logger.js';
import { Metrics } from '../../src/http/metrics.js';
import { asBusinessId, asUserId } from '../../src/ids.js';
import type { User, UsersRepo } from '../../src/store/index.js';

/** GET /api/plans: the plan table the server enforces, for any signed-in user; no limit is null. */

const API_KEY = 'plans-api-key-for-tests-0123456789';
const agent: User = {
  id: asUserId('00000000-0000-4000-8000-0000000000a1'),
  email: 'agent@example.com',
  role: 'agent',
  businessId: asBusinessId('00000000-0000-4000-8000-00000000b001'),
  tokenVersion: 0,
  createdAt: new Date(),
  lastLoginAt: null,
};

let server: FastifyInstance;
let agentToken: string;

beforeAll(async () => {
  const config = loadConfig({ DATA_DIR: '/nonexistent-not-used', LOG_LEVEL: 'silent' });
  const log = createLogger({ level: 'silent' });
  ({ server } = await createHttpServer({ config, log, metrics: new Metrics() }));
  const sessions = new SessionTokens('session-secret-of-at-least-thirty-two-chars', 600);
  const users = { get: async (id: string) => (id === agent.id ? agent : undefined) } as unknown as UsersRepo;
  const access = await registerAccess(server, { apiKey: API_KEY, users, sessions, secureCookies: false });
  registerPlansApi(server, { access });
  await server.ready();
  agentToken = await sessions.sign({ userId: agent.id, tokenVersion: 0 });
});
afterAll(async () => server?.close());

const get = (token?: string) =>
  server.inject({
    method: 'GET',
    url: '/api/plans',
    ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
  });

describe('GET /api/plans', () => {
  it('answers 401 in the one error shape without a sign-in', async () => {
    const res = await get();
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: 'unauthorized' });
  });

  it('gives any signed-in user (an agent too) every plan, as the server enforces it', async () => {
    const res = await get(agentToken);
    expect(res.statusCode).toBe(200);
    const { plans } = res.json() as { plans: Record<string, Record<string, unknown>> };
    expect(Object.keys(plans)).toEqual(['FREE', 'BASIC', 'PRO']);
    expect(plans['FREE']).toEqual({ ...PLAN_LIMITS.FREE, leadQuestions: 5 });
    expect(plans['PRO']).toMatchObject({ voiceAgent: true, realtime: true, brandingVisible: false });
  });

  it('says "no limit" as null (JSON has no Infinity)', async () => {
    const { plans } = (await get(API_KEY)).json() as { plans: Record<string, { leadQuestions: unknown }> };
    expect(plans['BASIC']!.leadQuestions).toBeNull();
    expect(plans['PRO']!.leadQuestions).toBeNull();
  });

  it('is in the API description', async () => {
    const doc = (await server.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, unknown>;
    };
    expect(doc.paths['/api/plans']).toBeDefined();
  });
});
