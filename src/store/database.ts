import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { sql } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { RetryingPool } from './connection-retry.js';
import { acquireDataDirLock } from './data-dir-lock.js';
import { ensurePrivateDir, restrictUmask, tightenTree } from './private-files.js';
import { rowsOf } from './raw-rows.js';
import * as schema from './schema/index.js';
import type { Logger } from '../shared/index.js';

/** The database as repositories see it: the same type whichever driver is underneath. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
export type DbKind = 'pglite' | 'postgres';

export interface OpenDatabaseOptions {
  /** When set, PostgreSQL; otherwise embedded PGlite in `${dataDir}/pglite`. */
  databaseUrl?: string | undefined;
  dataDir: string;
  logger: Logger;
  /** Pool size for PostgreSQL. */
  maxConnections?: number;
  /**
   * PostgreSQL only: how long a statement or a new connection is retried while the server is
   * unreachable (a restart, a failover). Default 15 s; 0 fails at once.
   */
  reconnectForMs?: number;
}

export interface Database {
  readonly db: Db;
  readonly kind: DbKind;
  /** One `select 1`, never retried: for health checks, which must answer at once when it is down. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Long enough for a restart or a managed failover; short enough that a dead server is reported. */
const DEFAULT_RECONNECT_FOR_MS = 15_000;

/** drizzle/ at the package root: two levels up from both src/store and dist/store. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle', import.meta.url));

/**
 * Any fixed 64-bit key: serialises migrations when several nodes start against one PostgreSQL
 * (drizzle's migrator takes no lock of its own).
 */
const MIGRATION_LOCK_KEY = 0x5377_6974_6368n; // "Switch"

export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl, opts) : openPglite(opts);
}

async function openPglite(opts: OpenDatabaseOptions): Promise<Database> {
  const { dataDir, logger } = opts;
  // Owner-only: PGlite takes no mode option; the files it makes later follow the umask.
  restrictUmask();
  ensurePrivateDir(dataDir);
  const lock = acquireDataDirLock(dataDir);
  const started = performance.now();
  let client: PGlite | undefined;
  try {
    // pgvector is loaded (not created) so later migrations can `CREATE EXTENSION vector` here too.
    ensurePrivateDir(join(dataDir, 'pglite'));
    client = new PGlite(join(dataDir, 'pglite'), { extensions: { vector } });
    await client.waitReady;
    const pgliteDb = drizzlePglite(client, { schema });
    const openedMs = performance.now() - started;
    await migratePglite(pgliteDb, { migrationsFolder: MIGRATIONS_FOLDER });
    // PGlite restores its initial files with an explicit chmod 0666 (the umask does not apply).
    tightenTree(join(dataDir, 'pglite'));
    const db: Db = pgliteDb;
    logger.info(
      {
        kind: 'pglite',
        openMs: Math.round(openedMs),
        migrateMs: Math.round(performance.now() - started - openedMs),
      },
      'database ready',
    );
    const pglite = client;
    let closed: Promise<void> | undefined;
    return {
      db,
      kind: 'pglite',
      ping: async () => void (await pglite.query('select 1')),
      close: () =>
        (closed ??= (async () => {
          try {
            await pglite.close();
            tightenTree(join(dataDir, 'pglite'));
          } finally {
            lock.release();
          }
        })()),
    };
  } catch (err) {
    await client?.close().catch(() => undefined);
    lock.release();
    throw err;
  }
}

async function openPostgres(databaseUrl: string, opts: OpenDatabaseOptions): Promise<Database> {
  const { logger } = opts;
  // A restart of the server is ridden out: statements and connections are retried for a while.
  const pool = new RetryingPool(
    { connectionString: databaseUrl, max: opts.maxConnections ?? 10 },
    { retryForMs: opts.reconnectForMs ?? DEFAULT_RECONNECT_FOR_MS },
    logger,
  );
  // Without a listener, an idle client's socket error (server restart) would crash the process.
  pool.on('error', (err) => logger.warn({ err: err.message }, 'postgres idle client error'));
  try {
    const started = performance.now();
    const nodePgDb = drizzleNodePg(pool, { schema });
    // A transaction whose `begin` met a connection the restart had cut is started again.
    const transaction = nodePgDb.transaction.bind(nodePgDb);
    nodePgDb.transaction = (fn, config) =>
      pool.retryUntilBegun((began) =>
        transaction((tx) => {
          began();
          return fn(tx);
        }, config),
      );
    const lockClient = await pool.connect();
    try {
      await lockClient.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
      try {
        await migrateNodePg(nodePgDb, { migrationsFolder: MIGRATIONS_FOLDER });
      } finally {
        await lockClient.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
      }
    } finally {
      lockClient.release();
    }
    logger.info({ kind: 'postgres', migrateMs: Math.round(performance.now() - started) }, 'database ready');
    const db: Db = nodePgDb;
    let closed: Promise<void> | undefined;
    return {
      db,
      kind: 'postgres',
      ping: () => pool.queryOnce('select 1'),
      close: () => (closed ??= pool.end()),
    };
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
}

/** Names of the applied migrations' hashes, oldest first (for health checks and tests). */
export async function appliedMigrations(db: Db): Promise<string[]> {
  const result = await db.execute(sql`select hash from drizzle.__drizzle_migrations order by created_at, id`);
  return rowsOf<{ hash: string }>(result).map((r) => r.hash);
}
