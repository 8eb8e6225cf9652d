import { describe, expect, it } from 'vitest';
import { asBusinessId } from '../../../src/ids.js';
import { MemoryLiveSessions } from '../../../src/store/live-sessions/index.js';
import { record } from './records.js';

describe('MemoryLiveSessions (the embedded default)', () => {
  it('keeps, replaces, lists oldest first by business, counts and forgets sessions', async () => {
    const s = new MemoryLiveSessions();
    await s.put(record('CA2', { startedAt: '2026-12-07T04:00:02.000Z' }));
    await s.put(record('CA1', { startedAt: '2026-12-07T04:00:01.000Z' }));
    await s.put(record('CA3', { businessId: asBusinessId('b2'), type: 'web' }));
    await s.put(record('CA1', { startedAt: '2026-12-07T04:00:01.000Z', turns: 4 }));
    expect(await s.count()).toBe(3);
    expect((await s.list(asBusinessId('b1'))).map((r) => [r.id, r.turns])).toEqual([
      ['phone-CA1', 4],
      ['phone-CA2', 0],
    ]);
    expect((await s.list()).map((r) => r.id)).toEqual(['web-CA3', 'phone-CA1', 'phone-CA2']);
    expect(await s.get('web-CA3')).toMatchObject({ type: 'web', businessId: 'b2' });
    await s.remove('phone-CA1');
    await s.remove('phone-CA1');
    expect(await s.get('phone-CA1')).toBeUndefined();
    expect(await s.count()).toBe(2);
    expect(s.degraded).toBe(false);
  });

  it('refuses a record that does not fit the schema (a bug in the caller)', async () => {
    const s = new MemoryLiveSessions();
    await expect(s.put(record('CA1', { turns: -1 }))).rejects.toThrow();
    await expect(s.put(record('CA1', { startedAt: 'yesterday' }))).rejects.toThrow();
    expect(await s.count()).toBe(0);
  });
});
