import Fastify, { type FastifyInstance } from 'fastify';
import { SessionTokens } from '../../src/auth/index.js';
import { registerAccess, type Access } from '../../src/http/access.js';
import { registerHttpEdge } from '../../src/http/edge.js';
import type { BusinessId } from '../../src/ids.js';
import { BusinessesRepo, UsersRepo, type Database, type Db } from '../../src/store/index.js';
import type { Role } from '../../src/store/schema/index.js';
import { createTestTarget, type TestTarget } from '../store/drivers.js';

/**
 * A Fastify with the edge and the access seam over a fresh PGlite, two businesses (Acme and
 * Bright Smiles) and a signed-in principal of every kind: the API key, an admin, Acme's owner and
 * agent, Bright Smiles' owner. Each principal is a set of request headers (a bearer token).
 */

export const API_KEY = 'admin-key-0123456789abcdef';

export interface Principals {
  key: Record<string, string>;
  admin: Record<string, string>;
  ownerA: Record<string, string>;
  agentA: Record<string, string>;
  ownerB: Record<string, string>;
}

export interface RecordsServer {
  app: FastifyInstance;
  db: Db;
  dataDir: string;
  acme: BusinessId;
  dental: BusinessId;
  as: Principals;
  close(): Promise<void>;
}

export async function recordsServer(
  register: (app: FastifyInstance, deps: { access: Access; db: Db; dataDir: string }) => void,
  seed: (db: Db, ids: { acme: BusinessId; dental: BusinessId }) => Promise<void> = async () => {},
): Promise<RecordsServer> {
  const target: TestTarget = await createTestTarget('pglite');
  const database: Database = await target.open();
  const db = database.db;
  const businesses = new BusinessesRepo(db);
  const acme = (await businesses.create({ name: 'Acme Plumbing', greeting: 'Hi' })).id;
  const dental = (await businesses.create({ name: 'Bright Smiles', greeting: 'Hi' })).id;
  await seed(db, { acme, dental });

  const users = new UsersRepo(db);
  const sessions = new SessionTokens('test-jwt-secret-0123456789abcdef0123', 3600);
  const bearer = async (email: string, role: Role, businessId: BusinessId | null) => {
    // The hash is never checked: these sessions are minted, not signed in to.
    const user = await users.create({ email, passwordHash: 'unused', role, businessId });
    const token = await sessions.sign({ userId: user.id, tokenVersion: user.tokenVersion });
    return { authorization: `Bearer ${token}` };
  };
  const as: Principals = {
    key: { authorization: `Bearer ${API_KEY}` },
    admin: await bearer('admin@example.com', 'admin', null),
    ownerA: await bearer('owner@acme.example', 'owner', acme),
    agentA: await bearer('agent@acme.example', 'agent', acme),
    ownerB: await bearer('owner@dental.example', 'owner', dental),
  };

  const app = Fastify();
  registerHttpEdge(app);
  const access = await registerAccess(app, { apiKey: API_KEY, sessions, users, secureCookies: false });
  register(app, { access, db, dataDir: target.dataDir });
  await app.ready();
  return {
    app,
    db,
    dataDir: target.dataDir,
    acme,
    dental,
    as,
    async close() {
      await app.close();
      await database.close();
      await target.cleanup();
    },
  };
}
