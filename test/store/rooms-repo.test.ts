import { describe, expect, it } from 'vitest';
import { BusinessesRepo, RoomNameTakenError, RoomsRepo } from '../../src/store/index.js';
import { drivers, useDatabase } from './drivers.js';

describe.each(drivers)('rooms on $name', (driver) => {
  if (driver.skipReason) {
    it.skip(`skipped: ${driver.skipReason}`, () => {});
    return;
  }
  const store = useDatabase(driver);
  const repo = () => new RoomsRepo(store.database.db);
  const business = async (name = 'Acme Plumbing') =>
    (await new BusinessesRepo(store.database.db).create({ name, greeting: 'Hi' })).id;

  it('creates a room with the agent on and recording off, and finds it by name', async () => {
    const b = await business();
    const room = await repo().create({ businessId: b, name: 'front-desk' });
    expect(room).toMatchObject({
      businessId: b,
      name: 'front-desk',
      agentEnabled: true,
      recordingEnabled: false,
    });
    expect(room.closedAt).toBeNull();
    expect(await repo().getByName('front-desk')).toEqual(room);
    expect(await repo().getByName('no-such-room')).toBeUndefined();
  });

  it('refuses a name that is taken, by any business, with a clear error', async () => {
    const [a, b] = [await business('A'), await business('B')];
    await repo().create({ businessId: a, name: 'lobby' });
    await expect(repo().create({ businessId: b, name: 'lobby' })).rejects.toBeInstanceOf(RoomNameTakenError);
    await expect(repo().create({ businessId: a, name: 'lobby' })).rejects.toThrow('"lobby" already exists');
  });

  it('answers undefined for a name that cannot be a room, without asking the database to fail', async () => {
    expect(await repo().getByName("x'; drop table rooms; --")).toBeUndefined();
    expect(await repo().getByName('')).toBeUndefined();
    await expect(repo().create({ businessId: await business(), name: '-bad' })).rejects.toThrow();
  });

  it("sets the agent and recording only on the business's own room", async () => {
    const [a, b] = [await business('A'), await business('B')];
    await repo().create({ businessId: a, name: 'sales' });
    expect(await repo().setAgent(b, 'sales', false)).toBeUndefined();
    expect((await repo().getByName('sales'))?.agentEnabled).toBe(true);
    expect((await repo().setAgent(a, 'sales', false))?.agentEnabled).toBe(false);
    expect((await repo().setRecording(a, 'sales', true))?.recordingEnabled).toBe(true);
    expect(await repo().getByName('sales')).toMatchObject({ agentEnabled: false, recordingEnabled: true });
    expect(await repo().setRecording(a, 'other', true)).toBeUndefined();
  });

  it('closes a room once (the first time is kept) and keeps its name taken', async () => {
    const [a, b] = [await business('A'), await business('B')];
    await repo().create({ businessId: a, name: 'pop-up' });
    expect(await repo().close(b, 'pop-up')).toBeUndefined();
    const first = new Date('2026-01-01T10:00:00Z');
    expect((await repo().close(a, 'pop-up', first))?.closedAt).toEqual(first);
    expect((await repo().close(a, 'pop-up', new Date('2026-02-01T10:00:00Z')))?.closedAt).toEqual(first);
    await expect(repo().create({ businessId: a, name: 'pop-up' })).rejects.toBeInstanceOf(RoomNameTakenError);
  });
});
