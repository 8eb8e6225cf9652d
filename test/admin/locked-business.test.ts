import { beforeAll, describe, expect, it } from 'vitest';
import { updateBusinessLocked } from '../../src/admin/locked-business.js';
import { BusinessesRepo, DEMO_BUSINESS_ID, seedDemoBusiness, type Db } from '../../src/store/index.js';
import { drivers, silentLogger, useDatabase } from '../store/drivers.js';

/** One business's settings changed under its row lock: what the profile and phone-menu APIs share. */

describe.each(drivers)('updateBusinessLocked on $name', (driver) => {
  if (driver.skipReason) {
    it.skip(`skipped: ${driver.skipReason}`, () => {});
    return;
  }
  const store = useDatabase(driver);
  let db: Db;
  beforeAll(async () => {
    db = store.database.db;
    await seedDemoBusiness(db, silentLogger);
  });

  it('writes what `next` makes of the current row and answers the business as stored', async () => {
    const saved = await updateBusinessLocked(db, DEMO_BUSINESS_ID, (current) => ({
      name: `${current.name} Inc`,
      settings: { ...current.settings, marker: 1 },
    }));
    expect(saved?.name).toBe('Acme Plumbing Inc');
    const stored = await new BusinessesRepo(db).getById(DEMO_BUSINESS_ID);
    expect(stored?.name).toBe('Acme Plumbing Inc');
    expect(stored?.settings['marker']).toBe(1);
    expect(stored?.settings['profile']).toBeDefined();
  });

  it('two edits of different settings at once both stay (each sees what the other wrote)', async () => {
    await Promise.all(
      ['first', 'second', 'third'].map((key) =>
        updateBusinessLocked(db, DEMO_BUSINESS_ID, (current) => ({
          settings: { ...current.settings, [key]: true },
        })),
      ),
    );
    const settings = (await new BusinessesRepo(db).getById(DEMO_BUSINESS_ID))!.settings;
    expect([settings['first'], settings['second'], settings['third'], settings['marker']]).toEqual([
      true,
      true,
      true,
      1,
    ]);
  });

  it('writes nothing when `next` throws, and answers undefined for an unknown business', async () => {
    await expect(
      updateBusinessLocked(db, DEMO_BUSINESS_ID, () => {
        throw new Error('invalid');
      }),
    ).rejects.toThrow('invalid');
    expect((await new BusinessesRepo(db).getById(DEMO_BUSINESS_ID))?.name).toBe('Acme Plumbing Inc');
    const next = () => ({ name: 'never' });
    expect(await updateBusinessLocked(db, '00000000-0000-4000-8000-00000000dead', next)).toBeUndefined();
  });
});
