import { createServer, connect, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isConnectionLoss } from '../../src/store/connection-retry.js';
import { openDatabase, type Database } from '../../src/store/index.js';
import { outbox } from '../../src/store/schema/index.js';
import { silentLogger } from '../store/drivers.js';
import {
  postgresServerUnavailable,
  startPostgresServer,
  type PostgresServer,
} from '../support/postgres-server.js';
import { startTestServer } from '../support/test-server.js';
import { cuedCaller } from './cued-caller.js';
import { LEAD_CALLER, placeLeadCall, storedCall, storedLead, waitFor } from './lead-call.js';

/**
 * PostgreSQL restarted under Switchboard (a private cluster, `pg_ctl restart -m fast`: every
 * connection cut with admin_shutdown): statements and new connections wait for the server and go
 * through once; a call in progress completes with its lead, turns and events stored; every
 * notification accepted around the restart is delivered.
 */
const unavailable = postgresServerUnavailable();
/** drizzle's query promises are lazy: this sends the statement now. */
const started = <T>(query: PromiseLike<T>): Promise<T> => Promise.resolve(query.then((r) => r));
let pg: PostgresServer | undefined;

beforeAll(async () => {
  if (!unavailable) pg = await startPostgresServer();
}, 60_000);
afterAll(async () => pg?.close());

describe.skipIf(unavailable)(`the database across a restart${unavailable ? ` (${unavailable})` : ''}`, () => {
  let database: Database;
  const count = async (id: number) =>
    Number(
      (
        (await database.db.execute(sql`select count(*)::int as n from fault_probe where id = ${id}`)) as {
          rows: Array<{ n: number }>;
        }
      ).rows[0]!.n,
    );

  beforeAll(async () => {
    database = await openDatabase({ databaseUrl: pg!.url, dataDir: '/nonexistent', logger: silentLogger });
    await database.db.execute(sql`create table fault_probe (id int primary key)`);
  }, 120_000);
  afterAll(async () => database?.close());

  it('a statement sent while the server is down waits for it, and is applied once', async () => {
    await pg!.stop();
    const insert = started(database.db.execute(sql`insert into fault_probe values (1)`));
    await sleep(600);
    await pg!.start();
    await insert;
    expect(await count(1)).toBe(1);
  }, 30_000);

  it('a statement cut by the restart (admin shutdown) is run again, once', async () => {
    const insert = started(database.db.execute(sql`insert into fault_probe select 2 from pg_sleep(1)`));
    await sleep(300); // in flight on the server
    await pg!.restart();
    await insert;
    expect(await count(2)).toBe(1);
  }, 30_000);

  it('a constraint error is not retried: it fails at once', async () => {
    const started = performance.now();
    await expect(database.db.execute(sql`insert into fault_probe values (1)`)).rejects.toMatchObject({
      cause: expect.objectContaining({ code: '23505' }),
    });
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("a transaction cut between its statements fails to its caller (it is the caller's to retry), the process lives on, and the next one commits", async () => {
    const cut = database.db.transaction(async (tx) => {
      await tx.execute(sql`insert into fault_probe values (3)`);
      await sleep(800); // the connection is idle in the transaction when the server goes
      await tx.execute(sql`insert into fault_probe values (4)`);
    });
    const outcome = cut.then(
      () => 'committed',
      (err: unknown) => err,
    );
    await sleep(200);
    await pg!.restart();
    const failed = await outcome;
    expect(failed).toBeInstanceOf(Error);
    expect(await count(3)).toBe(0); // rolled back whole
    await database.db.transaction(async (tx) => {
      await tx.execute(sql`insert into fault_probe values (3)`);
      await tx.execute(sql`insert into fault_probe values (4)`);
    });
    expect((await count(3)) + (await count(4))).toBe(2);
  }, 30_000);

  it('when the server stays down, a statement fails once its window closes, and ping fails at once', async () => {
    const short = await openDatabase({
      databaseUrl: pg!.url,
      dataDir: '/nonexistent',
      logger: silentLogger,
      reconnectForMs: 600,
    });
    try {
      await pg!.stop();
      let started = performance.now();
      const err = await short.db.execute(sql`select 1`).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isConnectionLoss(err) || isConnectionLoss((err as Error | undefined)?.cause)).toBe(true);
      expect(performance.now() - started).toBeGreaterThan(300);
      expect(performance.now() - started).toBeLessThan(2000);
      started = performance.now();
      await expect(short.ping()).rejects.toThrow();
      expect(performance.now() - started).toBeLessThan(300);
    } finally {
      await pg!.start();
      await short.close();
    }
    await expect(database.ping()).resolves.toBeUndefined();
  }, 30_000);
});

/**
 * A TCP proxy to PostgreSQL that can cut its connections the way a restart does when the pool
 * has not heard of it yet: the next thing the client sends finds the connection closed.
 */
async function cuttingProxy(port: number) {
  const pairs = new Set<{ client: Socket; server: Socket; cut: boolean }>();
  const proxy: Server = createServer((client) => {
    const server = connect(port, '127.0.0.1');
    const pair = { client, server, cut: false };
    pairs.add(pair);
    client.on('data', (d) => {
      if (pair.cut) {
        client.destroy();
        server.destroy();
      } else server.write(d);
    });
    server.on('data', (d) => client.write(d));
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      server.destroy();
    };
    client.on('close', end).on('error', end);
    server.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  return {
    url: `postgres://postgres@127.0.0.1:${(proxy.address() as { port: number }).port}/postgres`,
    /** Every open connection dies at its client's next write. */
    cutOnNextWrite: () => pairs.forEach((p) => (p.cut = true)),
    close: () => new Promise<void>((r) => proxy.close(() => r())),
  };
}

describe.skipIf(unavailable)('the database when a pooled connection is found dead', () => {
  it('a transaction whose begin meets a dead connection is started again on a new one, and the pool keeps its slots', async () => {
    const proxy = await cuttingProxy(pg!.port);
    const database = await openDatabase({
      databaseUrl: proxy.url,
      dataDir: '/nonexistent',
      logger: silentLogger,
      maxConnections: 2,
    });
    try {
      await database.db.execute(sql`create table if not exists fault_begin (id int primary key)`);
      // Two idle connections in the pool, then both silently dead; three times over.
      for (let round = 0; round < 3; round++) {
        await Promise.all([
          database.db.execute(sql`select pg_sleep(0.05)`),
          database.db.execute(sql`select 1`),
        ]);
        proxy.cutOnNextWrite();
        for (const id of [round * 2 + 1, round * 2 + 2])
          await database.db.transaction(async (tx) => {
            await tx.execute(sql`insert into fault_begin values (${id})`);
          });
      }
      // A plain statement on a dead connection is run again too.
      proxy.cutOnNextWrite();
      await database.db.execute(sql`insert into fault_begin values (7)`);
      // No slot was lost: two transactions at once still get their connections.
      await Promise.race([
        Promise.all(
          [8, 9].map((id) =>
            database.db.transaction(async (tx) => {
              await tx.execute(sql`select pg_sleep(0.1)`);
              await tx.execute(sql`insert into fault_begin values (${id})`);
            }),
          ),
        ),
        sleep(3000).then(() => {
          throw new Error('the pool had no free connection: a dead one was never released');
        }),
      ]);
      const rows = (await database.db.execute(sql`select id from fault_begin order by id`)) as {
        rows: Array<{ id: number }>;
      };
      expect(rows.rows.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    } finally {
      await database.close();
      await proxy.close();
    }
  }, 30_000);
});

describe.skipIf(unavailable)('a Switchboard on PostgreSQL while PostgreSQL restarts', () => {
  it('the call in progress completes with its lead, turns and events stored, and every notification accepted around the restart is delivered', async () => {
    const caller = await cuedCaller();
    const server = await startTestServer({ DATABASE_URL: pg!.url }, { stt: caller.stt });
    try {
      const { app } = server;
      // Test emails through the outbox, one every 100 ms from before the restart to after it.
      const queueEmail = async () => {
        const res = await fetch(`${server.baseUrl}/api/admin/test-email`, {
          method: 'POST',
          headers: { authorization: `Bearer ${app.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'owner@example.com' }),
        });
        return res.status === 202 ? ((await res.json()) as { outboxId: string }).outboxId : undefined;
      };
      const emails: Array<Promise<string | undefined>> = [];
      let restarted = false;
      let restartedAt = 0;
      // The restart comes once the first lead is written: mid-call, the caller's second turn ahead.
      const sub = await app.bus.subscribe({ businessId: '00000000-0000-4000-8000-00000000ac3e' }, (e) => {
        if (e.type !== 'lead' || restarted) return;
        restarted = true;
        void (async () => {
          for (let i = 0; i < 5; i++) emails.push(queueEmail());
          const t = performance.now();
          const restart = pg!.restart();
          const during = setInterval(() => emails.push(queueEmail()), 100);
          await restart;
          restartedAt = performance.now() - t;
          await sleep(500);
          clearInterval(during);
        })();
      });
      const report = await placeLeadCall(server, caller.callerAudio);
      await sub.unsubscribe();
      expect(restarted).toBe(true);
      expect(restartedAt).toBeGreaterThan(0);

      // The call completed, heard both turns, and stored every turn and event.
      expect(report.closedBy).toBe('simulator');
      expect(report.protocolErrors).toEqual([]);
      const call = storedCall(report);
      expect(call.status).toBe('completed');
      expect(call.turns.filter((t) => t.speaker === 'caller').map((t) => t.text)).toEqual(caller.heard);
      expect(call.turns.filter((t) => t.speaker === 'agent').length).toBeGreaterThanOrEqual(3);
      const types = call.events.map((e) => e.type);
      expect(types[0]).toBe('stream-started');
      expect(types.filter((t) => t === 'lead').length).toBe(2);
      expect(types.at(-1)).toBe('stream-stopped');

      expect(await storedLead(app.database.db, report.callSid)).toMatchObject({
        name: 'Maria Lopez',
        need: 'My water heater is leaking',
        phone: LEAD_CALLER,
      });

      // Every email accepted (202) is delivered; none was refused.
      const ids = await Promise.all(emails);
      expect(ids.length).toBeGreaterThanOrEqual(8);
      expect(ids.filter((id) => id === undefined)).toEqual([]);
      await waitFor(
        async () => {
          const rows = await app.database.db
            .select({ status: outbox.status })
            .from(outbox)
            .where(eq(outbox.cause, 'test'));
          return rows.length === ids.length && rows.every((r) => r.status === 'sent');
        },
        15_000,
        'every accepted email to be delivered',
      );
    } finally {
      await server.stop();
    }
  }, 120_000);
});
