import { describe, expect, it } from 'vitest';
import { asUserId } from '../../src/ids.js';
import { BusinessesRepo, EmailTakenError, UsersRepo } from '../../src/store/index.js';
import { drivers, useDatabase } from './drivers.js';

describe.each(drivers)('users on $name', (driver) => {
  if (driver.skipReason) {
    it.skip(`skipped: ${driver.skipReason}`, () => {});
    return;
  }
  const store = useDatabase(driver);
  const repo = () => new UsersRepo(store.database.db);
  const business = async () =>
    (await new BusinessesRepo(store.database.db).create({ name: 'Acme Plumbing', greeting: 'Hi' })).id;

  it('keeps emails lower-cased and unique, whatever their case', async () => {
    const b = await business();
    const u = await repo().create({
      email: ' Dana@Example.COM ',
      passwordHash: 'h',
      role: 'owner',
      businessId: b,
    });
    expect(u.email).toBe('dana@example.com');
    await expect(
      repo().create({ email: 'DANA@example.com', passwordHash: 'h', role: 'agent', businessId: b }),
    ).rejects.toBeInstanceOf(EmailTakenError);
    expect((await repo().findForLogin('dana@EXAMPLE.com'))?.passwordHash).toBe('h');
  });

  it('never returns the password hash with a user', async () => {
    const b = await business();
    const u = await repo().create({
      email: 'nohash@example.com',
      passwordHash: 'secret-hash',
      role: 'agent',
      businessId: b,
    });
    expect(JSON.stringify(await repo().get(u.id))).not.toContain('secret-hash');
    expect(JSON.stringify(await repo().list(b))).not.toContain('secret-hash');
  });

  it('refuses an owner without a business and an admin with one (the database says so too)', async () => {
    const b = await business();
    await expect(
      repo().create({ email: 'o@example.com', passwordHash: 'h', role: 'owner', businessId: null }),
    ).rejects.toThrow();
    await expect(
      repo().create({ email: 'a@example.com', passwordHash: 'h', role: 'admin', businessId: b }),
    ).rejects.toThrow();
  });

  it('lists one business’s users apart from another’s', async () => {
    const [b1, b2] = [await business(), await business()];
    await repo().create({ email: 'one@b1.example', passwordHash: 'h', role: 'owner', businessId: b1 });
    await repo().create({ email: 'two@b2.example', passwordHash: 'h', role: 'owner', businessId: b2 });
    expect((await repo().list(b1)).map((u) => u.email)).toEqual(['one@b1.example']);
  });

  it('a new password or signing out everywhere raises the token version', async () => {
    const b = await business();
    const u = await repo().create({
      email: 'ver@example.com',
      passwordHash: 'h',
      role: 'owner',
      businessId: b,
    });
    await repo().setPassword(u.id, 'h2');
    await repo().revokeSessions(u.id);
    expect((await repo().get(u.id))?.tokenVersion).toBe(u.tokenVersion + 2);
  });

  it('answers nothing, without asking the database to parse it, for an id that is not a uuid', async () => {
    expect(await repo().get(asUserId('not-a-uuid'))).toBeUndefined();
    expect(await repo().get(asUserId("1' or '1'='1"))).toBeUndefined();
  });
});
