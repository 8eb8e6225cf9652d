import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { AccountError, Accounts, passwordProblem } from '../auth/index.js';
import { loadConfig, type Env } from '../config.js';
import { createLogger } from '../http/logger.js';
import { readLocalSecrets } from '../local-secrets.js';
import {
  BusinessesRepo,
  DataDirLockedError,
  openDatabase,
  ROLES,
  seedDemoBusiness,
  UsersRepo,
  type Role,
} from '../store/index.js';

const HELP = `Usage: switchboard user add --email EMAIL --role owner|agent|admin [--business ID] [--url URL]

Adds a user who signs in to the dashboard (/admin) or the API (POST /api/auth/login).
  --email EMAIL     their email (how they sign in)
  --role ROLE       owner (runs one business), agent (answers its calls), admin (every business)
  --business ID     the business an owner or agent belongs to (default: the first, e.g. the demo)
  --url URL         the running server's URL (default PUBLIC_URL, else http://localhost:PORT)
The password is read from SWITCHBOARD_USER_PASSWORD, else asked for (twice, not shown).

Works with or without a running server: when the server holds the data folder (the embedded
default), the user is added through its API with the admin key; otherwise straight in the database.`;

export interface UserCommandDeps {
  env?: Env;
  out?: (line: string) => void;
  err?: (line: string) => void;
  /** Asks for a secret without echo; tests pass their own. */
  askSecret?: (prompt: string) => Promise<string>;
}

type Added = { id: string; email: string; role: string; businessId: string | null };

export async function userCommand(argv: string[], deps: UserCommandDeps = {}): Promise<number> {
  const out = deps.out ?? ((s: string) => console.log(s));
  const err = deps.err ?? ((s: string) => console.error(s));
  const env = deps.env ?? process.env;
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        email: { type: 'string' },
        role: { type: 'string' },
        business: { type: 'string' },
        url: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    err(`switchboard user: ${(e as Error).message}\n\n${HELP}`);
    return 1;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(HELP);
    return 0;
  }
  if (positionals[0] !== 'add' || positionals.length > 1) {
    err(HELP);
    return 1;
  }
  if (!values.email) {
    err('switchboard user add: --email is required');
    return 1;
  }
  if (!values.role || !ROLES.includes(values.role as Role)) {
    err(`switchboard user add: --role must be one of ${ROLES.join(', ')}`);
    return 1;
  }
  const role = values.role as Role;
  if (role === 'admin' && values.business) {
    err('switchboard user add: an admin belongs to no business (drop --business)');
    return 1;
  }

  const password = env['SWITCHBOARD_USER_PASSWORD'] ?? (await askPassword(deps, err));
  if (password === undefined) return 1;
  // Refused before any database is opened: nothing changes.
  const weak = passwordProblem(password);
  if (weak) {
    err(`switchboard user add: the password is not accepted: ${weak}`);
    return 1;
  }

  const config = loadConfig(env);
  const input = { email: values.email, password, role, businessId: values.business };
  try {
    const added = await addDirectly(config, input).catch(async (e: unknown) => {
      // The embedded database is open in the running server: ask it instead.
      if (!(e instanceof DataDirLockedError)) throw e;
      return addThroughServer(
        values.url ?? config.publicUrl,
        config.apiKey ?? readLocalSecrets(config.dataDir)?.apiKey,
        input,
      );
    });
    out(
      `added ${added.role} ${added.email}${added.businessId ? ` to business ${added.businessId}` : ''} (id ${added.id})`,
    );
    return 0;
  } catch (e) {
    err(`switchboard user add: ${(e as Error).message}`);
    return e instanceof AccountError || e instanceof ServerRefused ? 1 : 2;
  }
}

async function addDirectly(
  config: ReturnType<typeof loadConfig>,
  input: { email: string; password: string; role: Role; businessId: string | undefined },
): Promise<Added> {
  const log = createLogger({ level: 'warn' });
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    logger: log,
  });
  try {
    // A data folder no server has started yet gets the demo business the server would make.
    await seedDemoBusiness(database.db, log);
    const accounts = new Accounts(new UsersRepo(database.db), new BusinessesRepo(database.db));
    const user = await accounts.add(input);
    return { id: user.id, email: user.email, role: user.role, businessId: user.businessId };
  } finally {
    await database.close();
  }
}

class ServerRefused extends Error {}

async function addThroughServer(
  url: string,
  apiKey: string | undefined,
  input: { email: string; password: string; role: Role; businessId: string | undefined },
): Promise<Added> {
  if (!apiKey)
    throw new Error('the server holds the data folder and no API key was found (set SWITCHBOARD_API_KEY)');
  const base = url.replace(/\/+$/, '');
  let res: Response;
  try {
    res = await fetch(`${base}/api/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        email: input.email,
        password: input.password,
        role: input.role,
        ...(input.businessId ? { businessId: input.businessId } : {}),
      }),
    });
  } catch {
    throw new Error(`the data folder is in use, but no Switchboard server answers at ${base} (pass --url)`);
  }
  const body = (await res.json().catch(() => ({}))) as { user?: Added; message?: string };
  if (!res.ok || !body.user) throw new ServerRefused(body.message ?? `the server answered ${res.status}`);
  return body.user;
}

async function askPassword(deps: UserCommandDeps, err: (s: string) => void): Promise<string | undefined> {
  const ask = deps.askSecret ?? (process.stdin.isTTY ? askHidden : undefined);
  if (!ask) {
    err(
      'switchboard user add: set SWITCHBOARD_USER_PASSWORD, or run in a terminal to be asked for the password',
    );
    return undefined;
  }
  const first = await ask('Password (at least 10 characters): ');
  const again = await ask('The same password again: ');
  if (first !== again) {
    err('switchboard user add: the two passwords differ');
    return undefined;
  }
  return first;
}

/** Reads a line from the terminal without echoing it. */
function askHidden(prompt: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
    const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput;
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (s.startsWith(prompt)) write.call(rl, prompt);
    };
    rl.question(prompt, (answer) => {
      rl.close();
      process.stdout.write('\n');
      resolve(answer);
    });
  });
}
