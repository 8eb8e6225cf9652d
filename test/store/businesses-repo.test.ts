import { describe, expect, it } from 'vitest';
import type { E164 } from '../../src/ids.js';
import { asBusinessId } from '../../src/ids.js';
import { BusinessesRepo, PhoneNumberTakenError } from '../../src/store/index.js';
import { drivers, useDatabase } from './drivers.js';

let counter = 0;
/** A number no other test in this file uses. */
const freshNumber = () => `+1415555${String(1000 + ++counter).padStart(4, '0')}` as E164;

describe.each(drivers)('businesses repository on $name', (driver) => {
  if (driver.skipReason) {
    it.skip(`skipped: ${driver.skipReason}`, () => {});
    return;
  }
  const store = useDatabase(driver);
  const repo = () => new BusinessesRepo(store.database.db);

  it('finds a business by any of the numbers it owns', async () => {
    const [main, afterHours] = [freshNumber(), freshNumber()];
    const created = await repo().create({
      name: 'Bright Smiles Dental',
      trade: 'dental',
      greeting: 'Bright Smiles, how can we help?',
      timezone: 'America/Chicago',
      hours: { weekly: { mon: [{ open: '09:00', close: '17:00' }] } },
      phoneNumbers: [main, afterHours],
    });
    expect(created.phoneNumbers).toEqual(expect.arrayContaining([main, afterHours]));
    expect((await repo().findByPhoneNumber(main))?.id).toBe(created.id);
    expect((await repo().findByPhoneNumber(afterHours))?.id).toBe(created.id);
    expect(created).toMatchObject({
      trade: 'dental',
      plan: 'FREE',
      timezone: 'America/Chicago',
      hours: { weekly: { mon: [{ open: '09:00', close: '17:00' }] }, holidays: [] },
      settings: {},
      afterHoursGreeting: null,
    });
    expect(created.createdAt).toBeInstanceOf(Date);
  });

  it('returns undefined for a number nobody owns', async () => {
    expect(await repo().findByPhoneNumber(freshNumber())).toBeUndefined();
  });

  it('refuses to take a number another business owns, and creates nothing', async () => {
    const taken = freshNumber();
    await repo().create({ name: 'First', greeting: 'Hello', phoneNumbers: [taken] });
    const before = (await repo().list()).length;
    await expect(
      repo().create({ name: 'Second', greeting: 'Hi', phoneNumbers: [freshNumber(), taken] }),
    ).rejects.toBeInstanceOf(PhoneNumberTakenError);
    expect(await repo().list()).toHaveLength(before);
  });

  it('updates fields and replaces the set of numbers', async () => {
    const [oldNumber, newNumber] = [freshNumber(), freshNumber()];
    const b = await repo().create({
      name: 'Cool Air',
      trade: 'hvac',
      greeting: 'Cool Air!',
      phoneNumbers: [oldNumber],
    });
    const updated = await repo().update(b.id, {
      greeting: 'Cool Air, what can we fix today?',
      plan: 'BASIC',
      settings: { turnTaking: { endOfTurnSilenceMs: 700 } },
      phoneNumbers: [newNumber],
    });
    expect(updated).toMatchObject({
      greeting: 'Cool Air, what can we fix today?',
      plan: 'BASIC',
      settings: { turnTaking: { endOfTurnSilenceMs: 700 } },
      phoneNumbers: [newNumber],
    });
    expect(updated!.updatedAt.getTime()).toBeGreaterThanOrEqual(b.updatedAt.getTime());
    expect(await repo().findByPhoneNumber(oldNumber)).toBeUndefined();
    expect((await repo().findByPhoneNumber(newNumber))?.id).toBe(b.id);
  });

  it('update of an unknown business returns undefined', async () => {
    expect(
      await repo().update(asBusinessId('00000000-0000-4000-8000-000000000000'), { name: 'x' }),
    ).toBeUndefined();
  });

  it('rejects a bad timezone, bad opening hours and a non-E.164 number', async () => {
    await expect(repo().create({ name: 'X', greeting: 'Hi', timezone: 'Mars/Olympus' })).rejects.toThrow(
      /IANA/,
    );
    await expect(
      repo().create({
        name: 'X',
        greeting: 'Hi',
        hours: { weekly: { mon: [{ open: '9am', close: '17:00' }] } },
      }),
    ).rejects.toThrow(/HH:MM/);
    await expect(repo().create({ name: 'X', greeting: 'Hi', phoneNumbers: ['555-1234'] })).rejects.toThrow(
      /E\.164/,
    );
  });

  it('normalises a formatted number to E.164', async () => {
    const b = await repo().create({
      name: 'Snip Salon',
      trade: 'salon',
      greeting: 'Hi',
      phoneNumbers: ['+1 (415) 555-0199'],
    });
    expect(b.phoneNumbers).toEqual(['+14155550199']);
  });
});
