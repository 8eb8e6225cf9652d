/**
 * A small real server for route tests of routes app.ts does not register yet: the production
 * HTTP edge (error shape, zod schemas) and access seam on a fresh database, with the demo
 * business (PRO), a second business, and an owner and an agent for each. Requests go over a real
 * port (fetch) or through inject.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { Accounts, SessionTokens } from '../../../src/auth/index.js';
import { registerAccess, type Access } from '../../../src/http/access.js';
import { registerHttpEdge } from '../../../src/http/edge.js';
import { asBusinessId, type BusinessId } from '../../../src/ids.js';
import {
  BusinessesRepo,
  DEMO_BUSINESS_ID,
  UsersRepo,
  seedDemoBusiness,
  type Database,
  type Plan,
} from '../../../src/store/index.js';
import { createTestTarget, silentLogger, type DriverName, type TestTarget } from '../../store/drivers.js';

export const API_KEY = 'test-api-key-0123456789abcdef';

export interface Harness {
  server: FastifyInstance;
  access: Access;
  database: Database;
  /** A private temp folder (DATA_DIR for whatever the routes need on disk). */
  dataDir: string;
  businesses: BusinessesRepo;
  /** The demo business (PRO) and another one. */
  a: BusinessId;
  b: BusinessId;
  /** Bearer tokens: owner and agent of A, owner of B, an admin. */
  tokens: { ownerA: string; agentA: string; ownerB: string; admin: string };
  /** Listens on a free port; returns the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  driver?: DriverName;
  planB?: Plan;
  /** Registers the routes under test (called before the server is ready). */
  routes(h: Omit<Harness, 'listen' | 'close'>): void | Promise<void>;
}

export async function startHarness(opts: HarnessOptions): Promise<Harness> {
  const target: TestTarget = await createTestTarget(opts.driver ?? 'pglite');
  const database = await target.open();
  await seedDemoBusiness(database.db, silentLogger);
  const businesses = new BusinessesRepo(database.db);
  const other = await businesses.create({
    name: 'Other Co',
    greeting: 'Other Co, hello.',
    timezone: 'America/Los_Angeles',
    plan: opts.planB ?? 'PRO',
  });
  const users = new UsersRepo(database.db);
  const accounts = new Accounts(users, businesses);
  const sessions = new SessionTokens('test-jwt-secret-0123456789abcdef0123', 3600);

  const server = Fastify({ logger: false });
  registerHttpEdge(server);
  const access = await registerAccess(server, { apiKey: API_KEY, sessions, users, secureCookies: false });

  const password = 'correct horse battery';
  const tokenOf = async (email: string, role: 'owner' | 'agent' | 'admin', businessId?: string) => {
    const u = await accounts.add({ email, password, role, businessId });
    return sessions.sign({ userId: u.id, tokenVersion: u.tokenVersion });
  };
  const a = asBusinessId(DEMO_BUSINESS_ID);
  const b = other.id;
  const tokens = {
    ownerA: await tokenOf('owner-a@example.com', 'owner', a),
    agentA: await tokenOf('agent-a@example.com', 'agent', a),
    ownerB: await tokenOf('owner-b@example.com', 'owner', b),
    admin: await tokenOf('admin@example.com', 'admin'),
  };
  const base = { server, access, database, dataDir: target.dataDir, businesses, a, b, tokens };
  await opts.routes(base);
  await server.ready();
  return {
    ...base,
    async listen() {
      return server.listen({ port: 0, host: '127.0.0.1' });
    },
    async close() {
      await server.close();
      await database.close();
      await target.cleanup();
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
