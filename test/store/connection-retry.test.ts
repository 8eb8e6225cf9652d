import { describe, expect, it } from 'vitest';
import {
  isConnectionLoss,
  retriedTransaction,
  retryOnConnectionLoss,
} from '../../src/store/connection-retry.js';

const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isConnectionLoss', () => {
  it('is true for a lost or refused connection: admin shutdown, starting up, class 08, socket errors, pg words', () => {
    for (const code of ['57P01', '57P02', '57P03', '08006', '08001', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE'])
      expect(isConnectionLoss(coded(code)), code).toBe(true);
    expect(isConnectionLoss(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it("looks through drizzle's wrapper to the driver's error", () => {
    expect(isConnectionLoss(new Error('Failed query: begin', { cause: coded('57P01') }))).toBe(true);
    expect(isConnectionLoss(new Error('Failed query: insert', { cause: coded('23505') }))).toBe(false);
  });

  it('is false for what the statement itself did wrong, and for non-errors', () => {
    for (const code of ['23505', '23503', '42P01', '40001', '57014'])
      expect(isConnectionLoss(coded(code)), code).toBe(false);
    expect(isConnectionLoss(new Error('Connection terminated unexpectedly, or not'))).toBe(false);
    expect(isConnectionLoss('ECONNREFUSED')).toBe(false);
  });
});

describe('retryOnConnectionLoss', () => {
  it('tries again after a connection loss until it succeeds', async () => {
    let tries = 0;
    const result = await retryOnConnectionLoss(
      async () => {
        if (++tries < 3) throw coded('ECONNREFUSED');
        return 'done';
      },
      { retryForMs: 1000, firstDelayMs: 1 },
    );
    expect(result).toBe('done');
    expect(tries).toBe(3);
  });

  it('throws any other error at the first try', async () => {
    let tries = 0;
    await expect(
      retryOnConnectionLoss(
        async () => {
          tries++;
          throw coded('23505');
        },
        { retryForMs: 1000, firstDelayMs: 1 },
      ),
    ).rejects.toMatchObject({ code: '23505' });
    expect(tries).toBe(1);
  });

  it('gives up with the last error once the window would close', async () => {
    const started = performance.now();
    let tries = 0;
    await expect(
      retryOnConnectionLoss(
        async () => {
          tries++;
          throw coded('57P03');
        },
        { retryForMs: 120, firstDelayMs: 10, maxDelayMs: 20 },
      ),
    ).rejects.toMatchObject({ code: '57P03' });
    expect(tries).toBeGreaterThan(2);
    expect(performance.now() - started).toBeLessThan(400);
  });

  it('throws a connection loss the attempt says it went too far to repeat', async () => {
    let tries = 0;
    await expect(
      retryOnConnectionLoss(
        async () => {
          tries++;
          throw coded('ECONNRESET');
        },
        { retryForMs: 1000, firstDelayMs: 1 },
        { retryable: () => false },
      ),
    ).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(tries).toBe(1);
  });

  it('stops when its signal aborts (the pool is closing)', async () => {
    const closing = new AbortController();
    let tries = 0;
    await expect(
      retryOnConnectionLoss(
        async () => {
          if (++tries === 2) closing.abort();
          throw coded('ECONNREFUSED');
        },
        { retryForMs: 10_000, firstDelayMs: 1 },
        { signal: closing.signal },
      ),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(tries).toBe(2);
  });
});

describe('retriedTransaction', () => {
  /** A database whose first `cuts` transactions are cut by a restart after their callback ran. */
  const restarting = (cuts: number, failWith = () => coded('57P01', 'terminating connection')) => {
    let runs = 0;
    return {
      get runs() {
        return runs;
      },
      async transaction<T>(fn: (tx: string) => Promise<T>): Promise<T> {
        runs++;
        const result = await fn(`tx${runs}`);
        if (runs <= cuts) throw failWith();
        return result;
      },
    };
  };

  it('runs a transaction cut by a restart again, whole, and answers with the one that committed', async () => {
    const db = restarting(2);
    expect(await retriedTransaction(db, async (tx) => `written in ${tx}`)).toBe('written in tx3');
    expect(db.runs).toBe(3);
  });

  it('never runs one again for an SQL error, nor past its window', async () => {
    const refused = restarting(1, () => coded('23505', 'duplicate key'));
    await expect(retriedTransaction(refused, async () => 'x')).rejects.toThrow('duplicate key');
    expect(refused.runs).toBe(1);
    const down = restarting(1_000);
    await expect(retriedTransaction(down, async () => 'x', 200)).rejects.toThrow('terminating');
    expect(down.runs).toBeLessThan(10);
  });
});
