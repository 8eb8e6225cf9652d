import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './test-server.js';

/**
 * A private PostgreSQL cluster for fault tests: its own data directory, port and socket
 * directory, trust auth, so a test may restart or stop it without touching the shared server.
 * As root the binaries run as user postgres (PostgreSQL refuses to run as root).
 */
export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  readonly url: string;
  readonly port: number;
  /** `pg_ctl restart -m fast`: every connection is cut (57P01), the server is back when this resolves. */
  restart(): Promise<void>;
  /** `pg_ctl stop -m fast`. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its directory. */
  close(): Promise<void>;
}

const run = promisify(execFile);

/** The PostgreSQL binaries' folder, or undefined when neither Debian's folder nor PATH has them. */
export function postgresBinDir(): string | undefined {
  for (const v of ['15', '16', '17', '14']) {
    const dir = `/usr/lib/postgresql/${v}/bin`;
    if (existsSync(path.join(dir, 'pg_ctl')) && existsSync(path.join(dir, 'initdb'))) return dir;
  }
  const found = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' });
  const pgCtl = found.status === 0 ? found.stdout.trim() : '';
  if (pgCtl && existsSync(path.join(path.dirname(pgCtl), 'initdb'))) return path.dirname(pgCtl);
  return undefined;
}

const isRoot = process.getuid?.() === 0;
const hasPostgresUser = !isRoot || spawnSync('id', ['-u', 'postgres']).status === 0;

/** Why a private cluster cannot be started here, or undefined when it can (for `describe.skipIf`). */
export function postgresServerUnavailable(): string | undefined {
  if (!postgresBinDir()) return 'PostgreSQL binaries (initdb, pg_ctl) not found';
  if (!hasPostgresUser) return 'running as root without a postgres user to run PostgreSQL as';
  return undefined;
}

export async function startPostgresServer(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const reason = postgresServerUnavailable();
  if (!bin || reason) throw new Error(`cannot start a private PostgreSQL: ${reason}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-pg-'));
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  if (isRoot) {
    const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim();
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim();
    chownSync(dir, Number(ids), Number(gid));
  }
  const as = (tool: string, args: string[]) =>
    isRoot
      ? run('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args])
      : run(path.join(bin, tool), args);
  const port = await freePort();
  await as('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  // Its socket in its own folder; no fsync: a test cluster need not survive the machine.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60`;
  const ctl = (...args: string[]) => as('pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '30', ...args]);
  const start = async () => void (await ctl('-o', options, 'start'));
  const stop = async () => void (await ctl('-m', 'fast', 'stop'));
  let running = false;
  await start();
  running = true;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async restart() {
      await ctl('-m', 'fast', '-o', options, 'restart');
      running = true;
    },
    async stop() {
      await stop();
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async close() {
      if (running) await stop().catch(() => undefined);
      running = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
