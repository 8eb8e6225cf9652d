import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFliteTts } from '../../src/providers/tts/index.js';
import { simulateAssistedCall, type AssistTurn } from '../../src/sim/assisted-call.js';
import { callerAudioSource, type CallerAudioSource } from '../../src/sim/caller-audio.js';
import { parseCallScript } from '../../src/sim/script.js';
import { simulateCall } from '../../src/sim/simulated-call.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * Agent assist's must-show, end to end through a real server on the embedded default (PGlite,
 * Silero VAD, PocketSphinx, rules): a call the business answers itself, placed exactly as Twilio
 * places it (signed POST /twilio/assist/voice, <Start><Stream both_tracks>, two tracks of 20 ms
 * frames in real time), puts a pricing suggestion on an authenticated agent socket in seed 000's
 * exact shape; unauthenticated sockets are refused; a browser's ticket works once; losing the
 * assist stream leaves a call's media flowing; after the call its summary and the suggestions
 * shown are stored. Offline recognition is noisy: the words are ones it hears well, and what is
 * asserted is the shape and the intent, not the recognizer's exact words.
 */
const ASSIST_KEY = 'e2e-assist-key-0123456789abcdef';
const BUSINESS_NUMBER = '+15005550006';
const CUSTOMER = '+12125550100';

let server: TestServer;
let customerVoice: CallerAudioSource;
let agentVoice: CallerAudioSource;

const wsBase = () => server.baseUrl.replace(/^http/, 'ws');

async function api(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(server.baseUrl + path, {
    method,
    headers: {
      authorization: `Bearer ${server.app.apiKey}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

beforeAll(async () => {
  server = await startTestServer({ ASSIST_API_KEY: ASSIST_KEY });
  customerVoice = callerAudioSource(await createFliteTts({ voice: 'rms' }));
  agentVoice = callerAudioSource(await createFliteTts({ voice: 'slt' }));
}, 60_000);
afterAll(async () => server?.stop());

/** A socket on the agents' feed, every raw message kept; resolves once the feed says `ready`. */
async function openFeed(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ ws: WebSocket; raw: string[] }> {
  const ws = new WebSocket(url, { headers });
  const raw: string[] = [];
  ws.on('message', (d) => raw.push(d.toString()));
  await new Promise<void>((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
    const ready = () => {
      if (raw.some((m) => (JSON.parse(m) as { type: string }).type === 'ready')) {
        ws.off('message', ready);
        resolve();
      }
    };
    ws.on('message', ready);
  });
  return { ws, raw };
}

/** The HTTP status an upgrade is refused with (0: it was accepted). */
async function refusedWith(url: string, headers: Record<string, string> = {}): Promise<number> {
  const ws = new WebSocket(url, { headers });
  return new Promise<number>((resolve) => {
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? -1));
    ws.once('open', () => {
      ws.close();
      resolve(0);
    });
    ws.once('error', () => resolve(-1));
  });
}

const messagesOf = (raw: readonly string[], callSid: string) =>
  raw.map((m) => JSON.parse(m) as Record<string, unknown>).filter((m) => m['callSid'] === callSid);

async function pricingCall(): Promise<{
  callSid: string;
  feed: { ws: WebSocket; raw: string[] };
  report: Awaited<ReturnType<typeof simulateAssistedCall>>;
}> {
  const feed = await openFeed(`${wsBase()}/assist/agent`, { authorization: `Bearer ${ASSIST_KEY}` });
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
    { baseUrl: server.baseUrl, authToken: server.app.twilioAuthToken },
    { from: CUSTOMER, to: BUSINESS_NUMBER, turns, tailMs: 1500 },
  );
  return { callSid: report.callSid, feed, report };
}

describe('agent assist on a call the business answers itself', () => {
  let call: Awaited<ReturnType<typeof pricingCall>>;
  beforeAll(async () => {
    call = await pricingCall();
    // The feed says the call ended once the session has drained its last words.
    const until = performance.now() + 15_000;
    while (
      !messagesOf(call.feed.raw, call.callSid).some((m) => m['type'] === 'call-ended') &&
      performance.now() < until
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    call.feed.ws.close();
  }, 90_000);

  it('is listened in on: <Start><Stream both_tracks> with a token, then <Dial> to the agent number', () => {
    expect(call.report.answered).toBe('assist');
    expect(call.report.twiml).toMatchObject({
      kind: 'assist',
      stream: { track: 'both_tracks', parameters: { token: expect.any(String) } },
      // The demo business's front desk (agentNumber), shown the business's number.
      dial: { number: expect.stringMatching(/^\+\d{8,15}$/), callerId: BUSINESS_NUMBER },
    });
    // The agent took the call and hung up: the <Dial>'s action ends it.
    expect(call.report.dialActionStatus).toBe(200);
    expect(call.report.closedBy).toBe('simulator');
    expect(call.report.serverMessages).toEqual([]);
  });

  it("puts a pricing suggestion on the agent's socket in seed 000's exact shape", () => {
    const msgs = messagesOf(call.feed.raw, call.callSid);
    // A suggestion is followed by its detail (same call): the detail says which intent it was.
    const pricing = msgs.findIndex(
      (m, i) =>
        m['type'] === 'suggestion' &&
        msgs[i + 1]?.['type'] === 'suggestion-detail' &&
        msgs[i + 1]?.['intent'] === 'pricing',
    );
    expect(pricing, JSON.stringify(msgs.filter((m) => m['type'] !== 'transcript'))).toBeGreaterThanOrEqual(0);
    const s = msgs[pricing]!;
    expect(Object.keys(s).sort()).toEqual([
      'callSid',
      'confidence',
      'content',
      'priority',
      'timestamp',
      'type',
    ]);
    expect(s['type']).toBe('suggestion');
    expect(typeof s['content']).toBe('string');
    expect((s['content'] as string).length).toBeGreaterThan(0);
    expect(typeof s['confidence']).toBe('number');
    expect(s['confidence']).toBeGreaterThanOrEqual(0);
    expect(s['confidence']).toBeLessThanOrEqual(1);
    expect(typeof s['timestamp']).toBe('string');
    expect(s['timestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(new Date(s['timestamp'] as string).toISOString()).toBe(s['timestamp']);
    expect(s['callSid']).toBe(call.callSid);
    expect(['high', 'medium', 'low']).toContain(s['priority']);
    // Every suggestion on the feed has that shape, whatever its kind.
    for (const m of msgs.filter((x) => x['type'] === 'suggestion')) {
      expect(Object.keys(m).sort()).toEqual([
        'callSid',
        'confidence',
        'content',
        'priority',
        'timestamp',
        'type',
      ]);
    }
  });

  it("carries the call's start and end and the customer's words as their own message types", () => {
    const types = messagesOf(call.feed.raw, call.callSid).map((m) => m['type']);
    expect(types[0]).toBe('call-started');
    expect(types.at(-1)).toBe('call-ended');
    const transcripts = messagesOf(call.feed.raw, call.callSid).filter((m) => m['type'] === 'transcript');
    expect(transcripts.some((t) => t['speaker'] === 'customer' && t['final'] === true)).toBe(true);
  });

  it('stores the summary (text and action items) and the suggestions shown with the call', async () => {
    type Detail = {
      call: {
        answeredBy?: string;
        summary: { text?: unknown; actionItems?: unknown } | null;
        suggestions: Array<{ kind: string; intent: string | null; content: string }>;
        turns: Array<{ speaker: string; text: string }>;
      };
    };
    let detail: Detail | undefined;
    await expect
      .poll(
        async () => {
          const res = await api('GET', `/api/calls/${call.callSid}`);
          if (!res.ok) return false;
          detail = (await res.json()) as Detail;
          return typeof detail.call.summary?.text === 'string';
        },
        { timeout: 20_000, interval: 200 },
      )
      .toBe(true);
    const { summary, suggestions, turns } = detail!.call;
    expect((summary!.text as string).length).toBeGreaterThan(10);
    expect(Array.isArray(summary!.actionItems)).toBe(true);
    expect((summary!.actionItems as unknown[]).every((a) => typeof a === 'string')).toBe(true);
    expect(suggestions.some((s) => s.kind === 'intent' && s.intent === 'pricing')).toBe(true);
    // Both sides are kept as the call's turns: the caller and the business's person.
    expect(turns.some((t) => t.speaker === 'caller')).toBe(true);
  });
});

describe("the agents' feed refuses who it does not know", () => {
  it('refuses an upgrade without credentials with 401, and a wrong key with 401', async () => {
    expect(await refusedWith(`${wsBase()}/assist/agent`)).toBe(401);
    expect(
      await refusedWith(`${wsBase()}/assist/agent`, { authorization: 'Bearer not-the-key-not-the-key' }),
    ).toBe(401);
  });

  it('opens with a ticket from POST /api/assist/tickets once, and not twice', async () => {
    const res = await api('POST', '/api/assist/tickets', {});
    expect(res.status).toBe(201);
    const { ticket, url } = (await res.json()) as { ticket: string; url: string };
    expect(typeof ticket).toBe('string');
    const feed = await openFeed(server.baseUrl.replace(/^http/, 'ws') + url);
    feed.ws.close();
    expect(await refusedWith(server.baseUrl.replace(/^http/, 'ws') + url)).toBe(401);
  });

  it('gives no ticket without the API key', async () => {
    const res = await fetch(`${server.baseUrl}/api/assist/tickets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(401);
  });
});

describe('losing the assist path', () => {
  it("leaves an AI call's media flowing: the assist stream dropped mid-call, the AI call keeps its frames and completes", async () => {
    const aiCall = simulateCall(parseCallScript({ turns: [{ silenceMs: 2500 }], hangupAfterMs: 300 }), {
      baseUrl: server.baseUrl,
      authToken: server.app.twilioAuthToken,
      callerAudio: customerVoice,
    });
    // Meanwhile an assisted call whose stream is cut (no stop, no close handshake) as its customer speaks.
    const cut = new AbortController();
    const assisted = await simulateAssistedCall(
      { baseUrl: server.baseUrl, authToken: server.app.twilioAuthToken },
      {
        from: CUSTOMER,
        to: BUSINESS_NUMBER,
        turns: [
          { speaker: 'customer', audio: await customerVoice({ say: 'My basement is flooding.' }) },
          { pause: 10_000 },
        ],
        leadMs: 400,
        signal: cut.signal,
        onAbort: 'drop',
        onVoiceEnd: () => setTimeout(() => cut.abort(), 200),
      },
    );
    expect(assisted.closedBy).toBe('aborted');
    const report = await aiCall;
    expect(report.answered).toBe('stream');
    expect(report.closedBy).toBe('simulator');
    expect(report.protocolErrors).toEqual([]);
    // The greeting played in full and the caller's frames went on to the end of the call.
    expect(report.framesReceived).toBeGreaterThan(50);
    expect(report.framesSent).toBeGreaterThan(100);
    const res = await api('GET', `/api/calls/${report.callSid}`);
    expect(((await res.json()) as { call: { status: string } }).call.status).toBe('completed');
    // The server is still well and takes the next assisted call.
    const health = (await (await fetch(`${server.baseUrl}/health`)).json()) as { status: string };
    expect(health.status).toBe('healthy');
  }, 60_000);
});
