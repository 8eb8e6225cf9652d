import { describe, expect, it } from 'vitest';
import {
  BusinessesRepo,
  DEMO_BUSINESS_ID,
  DEMO_PHONE_NUMBER,
  seedDemoBusiness,
} from '../../src/store/index.js';
import { businesses } from '../../src/store/schema/index.js';
import { drivers, silentLogger, useDatabase } from './drivers.js';

describe.each(drivers)('demo seed on $name', (driver) => {
  if (driver.skipReason) {
    it.skip(`skipped: ${driver.skipReason}`, () => {});
    return;
  }
  const store = useDatabase(driver);

  it('creates Acme Plumbing on +15005550006 on first start, and only once', async () => {
    const { db } = store.database;
    expect(await seedDemoBusiness(db, silentLogger)).toEqual({ seeded: true });
    expect(await seedDemoBusiness(db, silentLogger)).toEqual({ seeded: false });

    const repo = new BusinessesRepo(db);
    expect(await repo.list()).toHaveLength(1);
    const acme = await repo.findByPhoneNumber(DEMO_PHONE_NUMBER);
    expect(acme).toMatchObject({
      id: DEMO_BUSINESS_ID,
      name: 'Acme Plumbing',
      trade: 'plumbing',
      timezone: 'America/New_York',
      plan: 'PRO',
      greeting: 'Acme Plumbing, how can I help? For emergencies, press 1.',
      phoneNumbers: ['+15005550006'],
    });
    expect(acme!.hours.weekly).toEqual({
      mon: [{ open: '08:00', close: '18:00' }],
      tue: [{ open: '08:00', close: '18:00' }],
      wed: [{ open: '08:00', close: '18:00' }],
      thu: [{ open: '08:00', close: '18:00' }],
      fri: [{ open: '08:00', close: '18:00' }],
      sat: [{ open: '09:00', close: '13:00' }],
    });
  });

  it('does not bring the demo back once the operator has other businesses', async () => {
    const { db } = store.database;
    const repo = new BusinessesRepo(db);
    await db.delete(businesses); // the operator removed the demo (numbers go with it)
    await repo.create({ name: 'Real Co', greeting: 'Hello' });
    expect(await seedDemoBusiness(db, silentLogger)).toEqual({ seeded: false });
    expect(await repo.findByPhoneNumber(DEMO_PHONE_NUMBER)).toBeUndefined();
  });
});
