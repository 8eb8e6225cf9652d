import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFliteTts } from '../../src/providers/tts/index.js';
import { simulateAssistedCall, type AssistTurn } from '../../src/sim/assisted-call.js';
import { callerAudioSource, type CallerAudioSource } from '../../src/sim/caller-audio.js';
import { parseCallScript } from '../../src/sim/script.js';
import { simulateCall } from '../../src/sim/simulated-call.js';
import { DEMO_BUSINESS_ID, DEMO_PHONE_NUMBER } from '../../src/store/index.js';
import { startCluster, type Cluster } from './cluster.js';
import { openEventStream } from './event-stream.js';
import type { ServerProcess } from './server-process.js';

/**
 * Two Switchboard processes sharing one PostgreSQL database and one Redis, as behind a load
 * balancer without sticky sessions. Node A takes the calls and only queues post-call jobs
 * (JOB_CONCURRENCY=0); node B runs them (JOB_CONCURRENCY=4). What a person sees on B:
 * A's call in GET /sessions and on the dashboard's live feed as it happens, the suggestions for
 * an assisted call streamed to A on an agent's socket opened on B, and the call's after-call
 * summary, written by B from the job A queued.
 */
const adminUrl = process.env.TEST_DATABASE_URL;
const CUSTOMER = '+12125550123';

let cluster: Cluster;
let a: ServerProcess;
let b: ServerProcess;
let customerVoice: CallerAudioSource;
let agentVoice: CallerAudioSource;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bearer = () => ({ authorization: `Bearer ${cluster.secrets.apiKey}` });

async function getJson<T>(node: ServerProcess, path: string): Promise<T> {
  const res = await fetch(node.baseUrl + path, { headers: bearer() });
  if (res.status !== 200) throw new Error(`GET ${path} on ${node.baseUrl}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

interface Sessions {
  sessions: Array<{
    id: string;
    type: string;
    callSid: string;
    answeredBy: string;
    businessId: string;
    /** From the deployment's live-sessions store (Redis): the node serving it. */
    node?: string;
  }>;
  total: number;
}

/** A socket on node's agents' feed opened as a browser does: a ticket from the same node, its Origin. */
async function openFeedWithTicket(
  node: ServerProcess,
): Promise<{ ws: WebSocket; messages: Array<Record<string, unknown>> }> {
  const res = await fetch(`${node.baseUrl}/api/assist/tickets`, {
    method: 'POST',
    headers: { ...bearer(), 'content-type': 'application/json' },
    body: JSON.stringify({ businessId: DEMO_BUSINESS_ID }),
  });
  expect(res.status).toBe(201);
  const { url } = (await res.json()) as { url: string };
  const ws = new WebSocket(node.baseUrl.replace(/^http/, 'ws') + url, { headers: { origin: node.baseUrl } });
  const messages: Array<Record<string, unknown>> = [];
  ws.on('message', (d) => messages.push(JSON.parse(d.toString()) as Record<string, unknown>));
  await new Promise<void>((resolve, reject) => {
    ws.once('unexpected-response', (_req, r) => reject(new Error(`feed upgrade: HTTP ${r.statusCode}`)));
    ws.once('error', reject);
    const ready = () => {
      if (messages.some((m) => m['type'] === 'ready')) {
        ws.off('message', ready);
        resolve();
      }
    };
    ws.on('message', ready);
  });
  return { ws, messages };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

beforeAll(async () => {
  if (!adminUrl) return;
  cluster = await startCluster(adminUrl);
  // One at a time: the first migrates and seeds the shared database.
  a = await cluster.startNode('node-a', { JOB_CONCURRENCY: '0' });
  b = await cluster.startNode('node-b', { JOB_CONCURRENCY: '4' });
  customerVoice = callerAudioSource(await createFliteTts({ voice: 'rms' }));
  agentVoice = callerAudioSource(await createFliteTts({ voice: 'slt' }));
}, 240_000);

afterAll(async () => {
  await cluster?.close();
}, 60_000);

describe.skipIf(!adminUrl)('two nodes sharing PostgreSQL and Redis', () => {
  it("shows a call on A in GET /sessions on B and on B's live dashboard feed as it happens", async () => {
    const live = await openEventStream(`${b.baseUrl}/api/live?businessId=${DEMO_BUSINESS_ID}`, bearer());
    try {
      const script = parseCallScript({
        from: CUSTOMER,
        to: DEMO_PHONE_NUMBER,
        turns: [{ say: 'Are you open on Saturday?' }],
        hangupAfterMs: 2000,
      });
      const calling = simulateCall(script, {
        baseUrl: a.baseUrl,
        authToken: cluster.secrets.twilioAuthToken,
        callerAudio: customerVoice,
      });
      // While the call is on A, B lists it, with the node serving it once A has announced it.
      const seen = await until(
        'the call in GET /sessions on B, with its node',
        async () =>
          (await getJson<Sessions>(b, '/sessions')).sessions.find(
            (s) => s.type === 'phone' && s.node !== undefined,
          ),
        20_000,
      );
      const report = await calling;
      expect(seen).toMatchObject({
        id: `phone-${report.callSid}`,
        callSid: report.callSid,
        answeredBy: 'ai',
        businessId: DEMO_BUSINESS_ID,
        node: 'node-a',
      });
      const { call } = await getJson<{ call: { nodeId: string | null } }>(b, `/api/calls/${report.callSid}`);
      expect(call.nodeId).toBe('node-a');

      // B's dashboard heard the call start, the caller's words and the end, from A's events.
      const mine =
        (event: string, extra: (d: Record<string, unknown>) => boolean = () => true) =>
        (m: { event: string; data: unknown }) =>
          m.event === event &&
          (m.data as Record<string, unknown>)['callSid'] === report.callSid &&
          extra(m.data as Record<string, unknown>);
      await live.waitFor(
        mine('call', (d) => d['kind'] === 'started' && d['from'] === CUSTOMER),
        10_000,
      );
      await live.waitFor(
        mine('transcript', (d) => d['speaker'] === 'caller' && d['final'] === true),
        10_000,
      );
      await live.waitFor(
        mine('transcript', (d) => d['speaker'] === 'agent'),
        10_000,
      );
      await live.waitFor(
        mine('call', (d) => d['kind'] === 'ended'),
        15_000,
      );
      await until(
        'the ended call to leave GET /sessions on B',
        async () =>
          (await getJson<Sessions>(b, '/sessions')).sessions.some((s) => s.callSid === report.callSid)
            ? undefined
            : true,
        15_000,
      );
    } finally {
      live.close();
    }
  }, 120_000);

  describe('an assisted call streamed to A, watched by an agent on B', () => {
    let callSid: string;
    let feed: Awaited<ReturnType<typeof openFeedWithTicket>>;

    beforeAll(async () => {
      if (!adminUrl) return;
      feed = await openFeedWithTicket(b);
      const turns: AssistTurn[] = [
        { speaker: 'agent', audio: await agentVoice({ say: 'Acme Plumbing, how can I help you?' }) },
        { pause: 300 },
        {
          speaker: 'customer',
          audio: await customerVoice({ say: 'How much does a drain cleaning cost?' }),
          text: 'How much does a drain cleaning cost?',
        },
        { pause: 1200 },
        {
          speaker: 'agent',
          audio: await agentVoice({ say: 'A drain cleaning is one hundred forty nine dollars.' }),
        },
      ];
      const report = await simulateAssistedCall(
        { baseUrl: a.baseUrl, authToken: cluster.secrets.twilioAuthToken },
        { from: CUSTOMER, to: DEMO_PHONE_NUMBER, turns, tailMs: 1500 },
      );
      expect(report.answered).toBe('assist');
      callSid = report.callSid;
    }, 120_000);

    afterAll(() => feed?.ws.close());

    it("puts the call's suggestions on the agent's socket on B", async () => {
      const ofCall = () => feed.messages.filter((m) => m['callSid'] === callSid);
      await until(
        "the call's end on B's feed",
        async () => (ofCall().some((m) => m['type'] === 'call-ended') ? true : undefined),
        20_000,
      ).catch(() => undefined);
      const msgs = ofCall();
      const summary = JSON.stringify(msgs.filter((m) => m['type'] !== 'transcript'));
      expect(msgs[0]?.['type'], summary).toBe('call-started');
      const suggestion = msgs.find((m) => m['type'] === 'suggestion');
      expect(suggestion, summary).toMatchObject({
        type: 'suggestion',
        callSid,
        content: expect.any(String),
        confidence: expect.any(Number),
        priority: expect.stringMatching(/^(high|medium|low)$/),
      });
      expect(msgs.some((m) => m['type'] === 'transcript' && m['speaker'] === 'customer')).toBe(true);
      expect(msgs.at(-1)?.['type']).toBe('call-ended');
    });

    it('has its after-call summary written by B from the job A queued', async () => {
      type Detail = { call: { summary: { text?: string } | null } };
      const detail = await until(
        "the call's written summary",
        async () => {
          const d = await getJson<Detail>(b, `/api/calls/${callSid}`);
          return d.call.summary?.text ? d : undefined;
        },
        60_000,
      );
      expect(detail.call.summary!.text!.length).toBeGreaterThan(0);

      // The job went through the shared Redis, and the worker that ran it was B's.
      const jobs = await until(
        "the call's summary jobs done",
        async () => {
          const found = await summaryJobsOf(cluster.redis.url, callSid);
          return found.length > 0 && found.every((j) => j.state === 'completed') ? found : undefined;
        },
        20_000,
      );
      for (const j of jobs) expect(j.processedBy, j.key).toBe('node-b');
    }, 90_000);
  });
});

/** The call-summary jobs BullMQ holds in Redis for the call, read through BullMQ's own Job. */
async function summaryJobsOf(
  url: string,
  callSid: string,
): Promise<Array<{ key: string; state: string; processedBy: string | undefined }>> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const found: Array<{ key: string; state: string; processedBy: string | undefined }> = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', '*:call-summary:*', 'COUNT', 500);
      cursor = next;
      for (const key of keys) {
        // A job is a hash at <prefix>:<queue>:<job id>; the queue is named after the job.
        const m = /^(.*):call-summary:([^:]+)$/.exec(key);
        if (!m || (await redis.type(key)) !== 'hash') continue;
        if (!(await redis.hget(key, 'data'))?.includes(callSid)) continue;
        const queue = new Queue('call-summary', { connection: redis, prefix: m[1]! });
        try {
          const job = await queue.getJob(m[2]!);
          if (job) found.push({ key, state: await job.getState(), processedBy: job.processedBy });
        } finally {
          await queue.close();
        }
      }
    } while (cursor !== '0');
    return found;
  } finally {
    redis.disconnect();
  }
}
