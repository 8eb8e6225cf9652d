import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Accounts } from '../../src/auth/index.js';
import { userCommand } from '../../src/cli/user.js';
import { createLogger } from '../../src/http/logger.js';
import { BusinessesRepo, openDatabase, UsersRepo } from '../../src/store/index.js';
import { startTestServer } from '../support/test-server.js';

const PASSWORD = 'a long enough password';

function run(argv: string[], env: Record<string, string>, askSecret?: (p: string) => Promise<string>) {
  const out: string[] = [];
  const err: string[] = [];
  return userCommand(argv, {
    env,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    ...(askSecret ? { askSecret } : {}),
  }).then((code) => ({ code, out: out.join('\n'), err: err.join('\n') }));
}

async function signIn(dataDir: string, email: string, password: string) {
  const database = await openDatabase({
    dataDir,
    databaseUrl: undefined,
    logger: createLogger({ level: 'silent' }),
  });
  try {
    const accounts = new Accounts(new UsersRepo(database.db), new BusinessesRepo(database.db));
    return await accounts.login(email, password);
  } finally {
    await database.close();
  }
}

describe('switchboard user add', () => {
  const dirs: string[] = [];
  const freshDir = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'sb-user-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('with no server running, adds the user straight into the data folder (to the first business)', async () => {
    const dataDir = freshDir();
    const r = await run(['add', '--email', 'owner@example.com', '--role', 'owner'], {
      DATA_DIR: dataDir,
      SWITCHBOARD_USER_PASSWORD: PASSWORD,
    });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/added owner owner@example.com to business [0-9a-f-]{36}/);
    const user = await signIn(dataDir, 'owner@example.com', PASSWORD);
    expect(user?.role).toBe('owner');
    expect(user?.businessId).not.toBeNull();
  });

  it('with the server holding the data folder, adds the user through its API', async () => {
    const server = await startTestServer({}, { stt: null });
    try {
      const r = await run(['add', '--email', 'agent@example.com', '--role', 'agent'], {
        DATA_DIR: server.dataDir,
        PUBLIC_URL: server.baseUrl,
        SWITCHBOARD_USER_PASSWORD: PASSWORD,
      });
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(await server.app.accounts.login('agent@example.com', PASSWORD)).toMatchObject({ role: 'agent' });
    } finally {
      await server.stop();
    }
  });

  it('asks for the password twice when it is not in the environment, and refuses two different ones', async () => {
    const dataDir = freshDir();
    const answers = ['first password 123', 'second password 456'];
    const r = await run(
      ['add', '--email', 'x@example.com', '--role', 'owner'],
      { DATA_DIR: dataDir },
      async () => answers.shift()!,
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/differ/);
  });

  it('refuses a short password, an unknown role and an admin with a business, adding nobody', async () => {
    const dataDir = freshDir();
    const env = { DATA_DIR: dataDir, SWITCHBOARD_USER_PASSWORD: 'short' };
    const weak = await run(['add', '--email', 'a@example.com', '--role', 'owner'], env);
    expect(weak.code).toBe(1);
    expect(weak.err).toMatch(/at least 10 characters/);
    const role = await run(['add', '--email', 'a@example.com', '--role', 'boss'], env);
    expect(role.code).toBe(1);
    expect(role.err).toMatch(/--role must be one of owner, agent, admin/);
    const admin = await run(['add', '--email', 'a@example.com', '--role', 'admin', '--business', 'x'], env);
    expect(admin.code).toBe(1);
    expect(admin.err).toMatch(/an admin belongs to no business/);
  });

  it('refuses an email that is already a user', async () => {
    const dataDir = freshDir();
    const env = { DATA_DIR: dataDir, SWITCHBOARD_USER_PASSWORD: PASSWORD };
    expect((await run(['add', '--email', 'dup@example.com', '--role', 'admin'], env)).code).toBe(0);
    const again = await run(['add', '--email', 'DUP@example.com', '--role', 'owner'], env);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already exists/);
  });
});
