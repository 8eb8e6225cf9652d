import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFuzz, type FuzzReport } from '../../bench/support/fuzz.js';
import { malformedRows, rowCounts } from '../../bench/support/fuzz-store.js';
import { createLogger } from '../../src/http/logger.js';
import { rowsOf } from '../../src/store/index.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * Fuzz at CI size (bench/fuzz.bench.ts runs 100,000+): a real app on PGlite, fixed seed, a few
 * thousand mutated messages on every edge a caller reaches. The server must stay up, answer no
 * 5xx and close no socket as an internal error, reject no promise unhandled, log no error, store
 * nothing for unsigned requests and nothing malformed for the rest.
 */
describe('fuzzing every edge with mutated messages', () => {
  let server: TestServer;
  const errorLogs: string[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown) => unhandled.push(err);
  let report: FuzzReport;
  let countsBefore: Record<string, number>;
  let countsAfterUnsigned: Record<string, number> = {};

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    const logs = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) errorLogs.push(line);
        done();
      },
    });
    server = await startTestServer(
      {
        MAX_CONNECTIONS_PER_IP: '0',
        HTTP_REQUESTS_PER_MINUTE_PER_IP: '0',
        WS_UPGRADES_PER_MINUTE_PER_IP: '0',
        MAX_CONCURRENT_CALLS: '0',
        ROOM_JOINS_PER_MINUTE: '1000',
        // A recording download the fuzz asks for fails at once instead of leaving the machine.
        TWILIO_API_BASE_URL: 'http://127.0.0.1:9',
      },
      { logger: createLogger({ level: 'error', destination: logs }) },
    );
    const db = server.app.database.db;
    const [biz] = rowsOf<{ public_key: string }>(
      await db.execute(sql`select public_key from businesses limit 1`),
    );
    countsBefore = await rowCounts(db);
    report = await runFuzz(
      {
        baseUrl: server.baseUrl,
        authToken: server.app.twilioAuthToken,
        apiKey: server.app.apiKey,
        publicKey: biz!.public_key,
      },
      {
        seed: 14,
        perTarget: {
          'webhook-unsigned': 600,
          'media-stream': 800,
          chat: 400,
          'web-call': 400,
          'webhook-signed': 500,
          api: 400,
        },
        afterTarget: async (name) => {
          if (name === 'webhook-unsigned') countsAfterUnsigned = await rowCounts(db);
        },
      },
    );
  }, 120_000);

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await server?.stop();
  });

  it('sends every target its share of mutated messages', () => {
    const total = Object.values(report.sent).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(3000);
    for (const n of Object.values(report.sent)) expect(n).toBeGreaterThan(0);
  });

  it('answers no 5xx and closes no socket as an internal error', () => {
    expect(report.findings).toEqual([]);
  });

  it('stays up: the health check answers after the run', async () => {
    const res = await fetch(`${server.baseUrl}/health`);
    expect(res.status).toBeLessThan(500);
  });

  it('leaves no promise rejected unhandled and logs no error', () => {
    expect(unhandled).toEqual([]);
    expect(errorLogs).toEqual([]);
  });

  it('stores nothing for unsigned or forged webhooks', () => {
    expect(countsAfterUnsigned).toEqual(countsBefore);
    expect(report.outcomes['webhook-unsigned']).not.toHaveProperty('200');
  });

  it('stores only well-formed rows for the signed and socket messages', async () => {
    expect(await malformedRows(server.app.database.db)).toEqual([]);
  });
});
