import { describe, expect, it } from 'vitest';
import { EventChannel } from '../../../src/providers/stt/event-channel.js';

const readAll = async (c: EventChannel<number>) => {
  const seen: number[] = [];
  for await (const n of c) seen.push(n);
  return seen;
};

describe('EventChannel (the output side of an STT stream)', () => {
  it('delivers events pushed before and while the reader waits, in order, until end()', async () => {
    const c = new EventChannel<number>();
    c.push(1);
    const read = readAll(c);
    await Promise.resolve();
    c.push(2);
    c.push(3);
    c.end();
    c.push(4); // after the end: dropped
    expect(await read).toEqual([1, 2, 3]);
  });

  it('a failed stream gives the events before the failure, then throws its error', async () => {
    const c = new EventChannel<number>();
    const seen: number[] = [];
    c.push(1);
    c.fail(new Error('decoder crashed'));
    await expect(
      (async () => {
        for await (const n of c) seen.push(n);
      })(),
    ).rejects.toThrow('decoder crashed');
    expect(seen).toEqual([1]);
  });

  it('a failure while the reader waits wakes it with the error', async () => {
    const c = new EventChannel<number>();
    const read = readAll(c);
    await Promise.resolve();
    c.fail(new Error('connection lost'));
    await expect(read).rejects.toThrow('connection lost');
  });

  it('discard() (close) drops what the reader has not taken', async () => {
    const c = new EventChannel<number>();
    c.push(1);
    c.discard();
    expect(await readAll(c)).toEqual([]);
  });

  it('is read by one consumer only', () => {
    const c = new EventChannel<number>();
    c[Symbol.asyncIterator]();
    expect(() => c[Symbol.asyncIterator]()).toThrow(/one consumer/);
  });
});
