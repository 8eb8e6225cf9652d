import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { BusinessId, E164 } from '../../src/ids.js';
import { BookingsRepo } from '../../src/store/bookings-repo.js';
import { BusinessesRepo } from '../../src/store/index.js';
import { isUniqueViolation } from '../../src/store/unique-violation.js';
import { drivers, useDatabase } from './drivers.js';

const at = (iso: string) => new Date(iso);

describe.each(drivers)('bookings on $name', (driver) => {
  if (driver.skipReason) {
    it.skip(`skipped: ${driver.skipReason}`, () => {});
    return;
  }
  const store = useDatabase(driver);
  const repo = () => new BookingsRepo(store.database.db);
  const business = async (): Promise<BusinessId> =>
    (await new BusinessesRepo(store.database.db).create({ name: 'Acme Plumbing', greeting: 'Hi' })).id;

  it('books a free slot and refuses an overlapping one', async () => {
    const b = await business();
    const first = await repo().book({
      businessId: b,
      serviceId: 'drain',
      startsAt: at('2025-06-12T15:00:00Z'),
      endsAt: at('2025-06-12T16:00:00Z'),
      customerPhone: '+15005550006' as E164,
    });
    expect(first.ok).toBe(true);
    const overlap = await repo().book({
      businessId: b,
      serviceId: 'drain',
      startsAt: at('2025-06-12T15:30:00Z'),
      endsAt: at('2025-06-12T16:30:00Z'),
    });
    expect(overlap).toEqual({ ok: false, reason: 'taken' });
    // Back to back is fine.
    expect(
      (
        await repo().book({
          businessId: b,
          serviceId: 'drain',
          startsAt: at('2025-06-12T16:00:00Z'),
          endsAt: at('2025-06-12T17:00:00Z'),
        })
      ).ok,
    ).toBe(true);
    expect(await repo().busy(b, at('2025-06-12T00:00:00Z'), at('2025-06-13T00:00:00Z'))).toHaveLength(2);
  });

  it('gives one of two simultaneous callers the slot and the other a refusal', async () => {
    const b = await business();
    const req = {
      businessId: b,
      serviceId: 'drain',
      startsAt: at('2025-06-13T15:00:00Z'),
      endsAt: at('2025-06-13T16:00:00Z'),
    };
    const results = await Promise.all([
      repo().book(req),
      repo().book({ ...req, startsAt: at('2025-06-13T15:30:00Z'), endsAt: at('2025-06-13T16:30:00Z') }),
      repo().book(req),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'taken')).toHaveLength(2);
  });

  it('refuses an overlapping row even when written with plain SQL, bypassing the repository', async () => {
    const b = await business();
    await repo().book({
      businessId: b,
      serviceId: 'x',
      startsAt: at('2025-06-14T15:00:00Z'),
      endsAt: at('2025-06-14T16:00:00Z'),
    });
    const raw = store.database.db.execute(
      sql`insert into bookings (business_id, service_id, starts_at, ends_at) values (${b}, 'x', '2025-06-14T15:55:00Z', '2025-06-14T16:05:00Z')`,
    );
    await expect(raw).rejects.toSatisfy((err: unknown) => isUniqueViolation(err, 'booking_cells_pkey'));
  });

  it('keeps times on the five-minute grid', async () => {
    const b = await business();
    expect(
      await repo().book({
        businessId: b,
        serviceId: 'x',
        startsAt: at('2025-06-14T15:02:00Z'),
        endsAt: at('2025-06-14T16:00:00Z'),
      }),
    ).toEqual({ ok: false, reason: 'off-grid' });
    const raw = store.database.db.execute(
      sql`insert into bookings (business_id, service_id, starts_at, ends_at) values (${b}, 'x', '2025-06-14T15:02:00Z', '2025-06-14T16:00:00Z')`,
    );
    await expect(raw).rejects.toThrow();
  });

  it('frees the time on cancel, and moves a booking only into free time', async () => {
    const b = await business();
    const one = await repo().book({
      businessId: b,
      serviceId: 'x',
      startsAt: at('2025-06-16T15:00:00Z'),
      endsAt: at('2025-06-16T16:00:00Z'),
    });
    const two = await repo().book({
      businessId: b,
      serviceId: 'x',
      startsAt: at('2025-06-16T17:00:00Z'),
      endsAt: at('2025-06-16T18:00:00Z'),
    });
    if (!one.ok || !two.ok) throw new Error('setup failed');
    expect(
      await repo().reschedule(b, two.booking.id, at('2025-06-16T15:30:00Z'), at('2025-06-16T16:30:00Z')),
    ).toEqual({ ok: false, reason: 'taken' });
    expect((await repo().getById(b, two.booking.id))?.startsAt).toEqual(at('2025-06-16T17:00:00Z'));
    expect(await repo().cancel(b, one.booking.id)).toBe(true);
    expect(await repo().cancel(b, one.booking.id)).toBe(false);
    const moved = await repo().reschedule(
      b,
      two.booking.id,
      at('2025-06-16T15:30:00Z'),
      at('2025-06-16T16:30:00Z'),
    );
    expect(moved.ok && moved.booking.startsAt).toEqual(at('2025-06-16T15:30:00Z'));
    // The old time is free again.
    expect(
      (
        await repo().book({
          businessId: b,
          serviceId: 'x',
          startsAt: at('2025-06-16T17:00:00Z'),
          endsAt: at('2025-06-16T18:00:00Z'),
        })
      ).ok,
    ).toBe(true);
  });

  it('keeps calendars of different businesses apart', async () => {
    const [a, c] = [await business(), await business()];
    const req = { serviceId: 'x', startsAt: at('2025-06-17T15:00:00Z'), endsAt: at('2025-06-17T16:00:00Z') };
    expect((await repo().book({ businessId: a, ...req })).ok).toBe(true);
    expect((await repo().book({ businessId: c, ...req })).ok).toBe(true);
  });

  it('finds a caller’s upcoming bookings by phone', async () => {
    const b = await business();
    const phone = '+15005550123' as E164;
    await repo().book({
      businessId: b,
      serviceId: 'x',
      startsAt: at('2025-06-18T15:00:00Z'),
      endsAt: at('2025-06-18T16:00:00Z'),
      customerPhone: phone,
    });
    await repo().book({
      businessId: b,
      serviceId: 'x',
      startsAt: at('2025-06-01T15:00:00Z'),
      endsAt: at('2025-06-01T16:00:00Z'),
      customerPhone: phone,
    });
    const upcoming = await repo().upcomingForPhone(b, phone, at('2025-06-10T00:00:00Z'));
    expect(upcoming.map((x) => x.startsAt)).toEqual([at('2025-06-18T15:00:00Z')]);
  });
});
