/**
 * The two database drivers every store test runs against. PostgreSQL runs only when
 * TEST_DATABASE_URL names a server; each test file then gets its own fresh database.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import type { Logger } from '../../src/shared/index.js';
import type { Database } from '../../src/store/index.js';
import { openDatabase } from '../../src/store/index.js';

export type DriverName = 'pglite' | 'postgres';
export interface TestDriver {
  name: DriverName;
  /** Set when this driver cannot run here; the suite shows it as a skipped test. */
  skipReason?: string;
}

const adminUrl = process.env.TEST_DATABASE_URL;

export const drivers: TestDriver[] = [
  { name: 'pglite' },
  adminUrl
    ? { name: 'postgres' }
    : {
        name: 'postgres',
        skipReason:
          'TEST_DATABASE_URL is unset; run `export TEST_DATABASE_URL=$(scripts/ensure-postgres.sh)` to test PostgreSQL',
      },
];

export const silentLogger: Logger = { info() {}, warn() {}, error() {}, debug() {} };

/** Where a test opens its database: a temp folder, or a fresh database on the test server. */
export interface TestTarget {
  dataDir: string;
  databaseUrl?: string;
  open(): Promise<Database>;
  cleanup(): Promise<void>;
}

export async function createTestTarget(driver: DriverName): Promise<TestTarget> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-store-'));
  const removeDir = () => rmSync(dataDir, { recursive: true, force: true });
  if (driver === 'pglite') {
    return {
      dataDir,
      open: () => openDatabase({ dataDir, logger: silentLogger }),
      async cleanup() {
        removeDir();
      },
    };
  }
  if (!adminUrl) throw new Error('TEST_DATABASE_URL is unset');
  const name = `switchboard_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  return {
    dataDir,
    databaseUrl,
    open: () => openDatabase({ dataDir, databaseUrl, logger: silentLogger }),
    async cleanup() {
      await adminQuery(`drop database if exists ${name} with (force)`);
      removeDir();
    },
  };
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Opens one database for a whole describe block (PGlite's first open takes seconds). */
export function useDatabase(driver: TestDriver) {
  const state: { target?: TestTarget; database?: Database } = {};
  beforeAll(async () => {
    state.target = await createTestTarget(driver.name);
    state.database = await state.target.open();
  });
  afterAll(async () => {
    await state.database?.close();
    await state.target?.cleanup();
  });
  return {
    get database(): Database {
      if (!state.database) throw new Error('database not open yet');
      return state.database;
    },
  };
}
