import Fastify, { type FastifyInstance } from 'fastify';
import { registerAuthApi } from '../../src/admin/auth-api.js';
import { Accounts, SessionTokens } from '../../src/auth/index.js';
import { registerAccess, type Access } from '../../src/http/access.js';
import { registerHttpEdge } from '../../src/http/edge.js';
import { BusinessesRepo, UsersRepo, type Db, type Role, type User } from '../../src/store/index.js';

/**
 * Route tests sign in the way clients do: the API key, a user's bearer session token, or the
 * dashboard's session cookie with its CSRF token. `createAccessTestApp` builds a Fastify with the
 * server's edge, the access seam and the sign-in routes on a test database; the caller registers
 * the routes under test with `t.access`, then `await t.server.ready()`. `signInAs` works on the
 * real app too (`app.server`, `app.accounts`).
 */

export const TEST_API_KEY = 'admin-key-0123456789abcdef';
export const TEST_PASSWORD = 'correct horse battery staple';

/** What to spread into `inject()`: headers, and cookies for the dashboard's way in. */
export interface Credentials {
  headers: Record<string, string>;
  cookies?: Record<string, string>;
}

export interface SignedInUser {
  user: User;
  /** Authorization: Bearer <session token>. */
  bearer: Credentials;
  /** The session cookie with the CSRF token a change made with it must carry. */
  cookie: Credentials;
  /** The session cookie alone (a change without the CSRF token is refused). */
  cookieWithoutCsrf: Credentials;
}

export interface AccessTestApp {
  server: FastifyInstance;
  access: Access;
  accounts: Accounts;
  /** Authorization: Bearer <the API key> (the operator). */
  apiKey: Credentials;
  signIn(role: Role, businessId?: string): Promise<SignedInUser>;
  close(): Promise<void>;
}

export const apiKeyCredentials = (key: string): Credentials => ({
  headers: { authorization: `Bearer ${key}` },
});

export async function createAccessTestApp(db: Db, opts: { apiKey?: string } = {}): Promise<AccessTestApp> {
  const apiKey = opts.apiKey ?? TEST_API_KEY;
  const users = new UsersRepo(db);
  const accounts = new Accounts(users, new BusinessesRepo(db));
  const server = Fastify();
  registerHttpEdge(server);
  const access = await registerAccess(server, {
    apiKey,
    users,
    sessions: new SessionTokens('session-test-secret-0123456789abcdef', 3600),
    secureCookies: false,
  });
  await registerAuthApi(server, { access, accounts, users, loginAttemptsPerMinute: 1000 });
  return {
    server,
    access,
    accounts,
    apiKey: apiKeyCredentials(apiKey),
    signIn: (role, businessId) => signInAs(server, accounts, { role, businessId }),
    close: () => server.close(),
  };
}

let made = 0;

/** A new user of the role (and business), signed in through POST /api/auth/login. */
export async function signInAs(
  server: FastifyInstance,
  accounts: Accounts,
  who: { role: Role; businessId?: string | undefined; email?: string },
): Promise<SignedInUser> {
  made++;
  const email = who.email ?? `${who.role}-${made}@tenants.test`;
  const user = await accounts.add({
    email,
    password: TEST_PASSWORD,
    role: who.role,
    businessId: who.businessId,
  });
  // Each sign-in from its own address, so the per-address limit never decides a test.
  const res = await server.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { email, password: TEST_PASSWORD },
    remoteAddress: `10.77.${Math.floor(made / 250)}.${(made % 250) + 1}`,
  });
  if (res.statusCode !== 200) throw new Error(`sign-in failed: ${res.statusCode} ${res.body}`);
  const body = res.json<{ token: string; csrfToken: string }>();
  const cookies = Object.fromEntries(res.cookies.map((c) => [c.name, c.value]));
  return {
    user,
    bearer: { headers: { authorization: `Bearer ${body.token}` } },
    cookie: { headers: { 'x-csrf-token': body.csrfToken }, cookies },
    cookieWithoutCsrf: { headers: {}, cookies },
  };
}
