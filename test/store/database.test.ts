import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../src/store/data-dir-lock.js';
import { rowsOf } from '../../src/store/raw-rows.js';
import { appliedMigrations, MIGRATIONS_FOLDER, openDatabase } from '../../src/store/index.js';
import type { Db } from '../../src/store/index.js';
import type { TestTarget } from './drivers.js';
import { createTestTarget, drivers, silentLogger } from './drivers.js';

const migrationFiles = readdirSync(MIGRATIONS_FOLDER).filter((f) => f.endsWith('.sql'));

async function tableNames(db: Db): Promise<string[]> {
  const result = await db.execute(
    sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
  );
  return rowsOf<{ table_name: string }>(result).map((r) => r.table_name);
}

describe.each(drivers)('database on $name', (driver) => {
  if (driver.skipReason) {
    it.skip(`skipped: ${driver.skipReason}`, () => {});
    return;
  }
  let target: TestTarget;
  beforeAll(async () => {
    target = await createTestTarget(driver.name);
  });
  afterAll(() => target?.cleanup());

  it('applies every migration on first open and none again on reopen', async () => {
    const first = await target.open();
    expect(first.kind).toBe(driver.name);
    const applied = await appliedMigrations(first.db);
    expect(applied).toHaveLength(migrationFiles.length);
    expect(await tableNames(first.db)).toEqual(
      expect.arrayContaining([
        'businesses',
        'business_phone_numbers',
        'calls',
        'call_status_events',
        'call_turns',
        'call_events',
      ]),
    );
    await first.close();

    const second = await target.open();
    expect(await appliedMigrations(second.db)).toEqual(applied);
    await second.close();
  });

  it('close is safe to call twice', async () => {
    const database = await target.open();
    await database.close();
    await expect(database.close()).resolves.toBeUndefined();
  });
});

describe('database on pglite: DATA_DIR lock', () => {
  let target: TestTarget;
  beforeAll(async () => {
    target = await createTestTarget('pglite');
  });
  afterAll(() => target?.cleanup());

  it('refuses a second opener of the same DATA_DIR while the first is open', async () => {
    const first = await target.open();
    try {
      await expect(openDatabase({ dataDir: target.dataDir, logger: silentLogger })).rejects.toThrow(
        `DATA_DIR ${target.dataDir} is in use by process ${process.pid}`,
      );
      // The refused opener must not have disturbed the first one.
      const applied = await appliedMigrations(first.db);
      expect(applied).toHaveLength(migrationFiles.length);
    } finally {
      await first.close();
    }
  });

  it('opens over a stale lock left by a dead process', async () => {
    // Pid 2^22 + 1 is above Linux's pid_max ceiling, so no process can have it.
    writeFileSync(
      join(target.dataDir, LOCK_FILE),
      JSON.stringify({ pid: 4_194_305, token: 'crashed', host: 'x', processStart: 0 }),
    );
    const database = await target.open();
    await database.close();
  });
});
