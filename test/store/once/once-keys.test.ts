import { describe, expect, it } from 'vitest';
import { MemoryOnceKeys } from '../../../src/store/once/index.js';

describe('MemoryOnceKeys', () => {
  it('the first claim wins, later ones lose until the key expires', async () => {
    let now = 1000;
    const keys = new MemoryOnceKeys({ now: () => now });
    expect(await keys.claim('t1', 500)).toBe(true);
    expect(await keys.claim('t1', 500)).toBe(false);
    expect(await keys.claim('t2', 500)).toBe(true);
    now += 499;
    expect(await keys.claim('t1', 500)).toBe(false);
    now += 1;
    expect(await keys.claim('t1', 500)).toBe(true);
  });

  it('when full, forgets expired keys first and otherwise refuses rather than forget a live one', async () => {
    let now = 0;
    const keys = new MemoryOnceKeys({ maxKeys: 2, now: () => now });
    expect(await keys.claim('a', 100)).toBe(true);
    expect(await keys.claim('b', 1000)).toBe(true);
    expect(await keys.claim('c', 100)).toBe(false); // full of live keys
    expect(await keys.claim('a', 100)).toBe(false); // and 'a' is still spent
    now = 200;
    expect(await keys.claim('c', 100)).toBe(true); // 'a' expired and was swept
    expect(keys.size).toBe(2);
    expect(await keys.claim('b', 1000)).toBe(false);
  });
});
