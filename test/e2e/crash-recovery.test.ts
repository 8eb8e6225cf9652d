import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCallScript } from '../../src/sim/script.js';
import { simulateCall, type SimulatorDeps } from '../../src/sim/simulated-call.js';
import { activeSessions, ensureBuilt, startServerProcess, type ServerProcess } from './server-process.js';

/**
 * Two nodes on one PostgreSQL, each serving a call. Node A is killed (-9) and restarted: its
 * call is closed as failed with an end time and a reason; node B's live call is not touched.
 */
const adminUrl = process.env.TEST_DATABASE_URL;
const started: ServerProcess[] = [];
let databaseUrl = '';
let dbName = '';

async function admin(text: string) {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  if (!adminUrl) return;
  ensureBuilt();
  dbName = `switchboard_crash_${randomBytes(5).toString('hex')}`;
  await admin(`create database ${dbName}`);
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  databaseUrl = u.toString();
}, 180_000);

afterAll(async () => {
  for (const s of started) {
    if (s.child.exitCode === null) s.child.kill('SIGKILL');
    rmSync(s.dataDir, { recursive: true, force: true });
  }
  if (adminUrl && dbName) await admin(`drop database if exists ${dbName} with (force)`);
});

async function node(id: string) {
  const s = await startServerProcess({ DATABASE_URL: databaseUrl, NODE_ID: id, SHUTDOWN_GRACE_MS: '1000' });
  started.push(s);
  return s;
}

const sim = (s: ServerProcess): SimulatorDeps => ({
  baseUrl: s.baseUrl,
  authToken: s.secrets().twilioAuthToken,
  callerAudio: async () => new Uint8Array(0),
});

async function waitForSessions(s: ServerProcess, n: number) {
  const end = Date.now() + 20_000;
  while ((await activeSessions(s.baseUrl)) !== n) {
    if (Date.now() > end) throw new Error(`expected ${n} live sessions\n${s.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function call(via: ServerProcess, callSid: string) {
  const res = await fetch(`${via.baseUrl}/api/calls/${callSid}`, {
    headers: { authorization: `Bearer ${via.secrets().apiKey}` },
  });
  return ((await res.json()) as { call: Record<string, unknown> }).call;
}

describe.skipIf(!adminUrl)('crash record with two nodes on one PostgreSQL', () => {
  it("restart of node A after kill -9 closes A's call as failed (node-restarted) and leaves B's live call alone", async () => {
    const a = await node('node-a');
    const b = await node('node-b');
    const longCall = parseCallScript({ turns: [{ silenceMs: 60_000 }], maxDurationMs: 70_000 });
    const onA = simulateCall(longCall, sim(a));
    const onB = simulateCall(longCall, sim(b));
    await waitForSessions(a, 1);
    await waitForSessions(b, 1);

    a.child.kill('SIGKILL');
    await a.exited;
    const aReport = await onA;
    expect((await call(b, aReport.callSid))['endedAt']).toBeNull(); // nothing wrote its end

    const a2 = await node('node-a');
    const closed = await call(a2, aReport.callSid);
    expect(closed).toMatchObject({ status: 'failed', endReason: 'node-restarted', nodeId: 'node-a' });
    expect(closed['endedAt']).not.toBeNull();
    expect(a2.output()).toContain('closed calls left open by a crash as failed');

    // B's call is still live, on B, untouched.
    expect(await activeSessions(b.baseUrl)).toBe(1);
    const bSid = (
      (await (
        await fetch(`${b.baseUrl}/api/calls?limit=5`, {
          headers: { authorization: `Bearer ${b.secrets().apiKey}` },
        })
      ).json()) as { items: Array<{ callSid: string; nodeId: string | null }> }
    ).items.find((c) => c.nodeId === 'node-b')!.callSid;
    const live = await call(b, bSid);
    expect(live).toMatchObject({ endedAt: null, endReason: null, nodeId: 'node-b' });

    // And B's call ends as B shuts down: with a goodbye and its own reason.
    b.child.kill('SIGTERM');
    const bReport = await onB;
    expect(bReport.callSid).toBe(bSid);
    expect((await b.exited).code).toBe(0);
    expect(await call(a2, bSid)).toMatchObject({ status: 'completed', endReason: 'shutdown' });
    a2.child.kill('SIGTERM');
    expect((await a2.exited).code).toBe(0);
  }, 120_000);
});
