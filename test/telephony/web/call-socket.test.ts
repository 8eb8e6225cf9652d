import Fastify, { type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createLogger } from '../../../src/http/logger.js';
import { registerHttpEdge } from '../../../src/http/edge.js';
import { Metrics } from '../../../src/http/metrics.js';
import type { BusinessId, CallSid } from '../../../src/ids.js';
import { InProcessBus } from '../../../src/store/bus/index.js';
import { BusinessesRepo, CallsRepo, RoomsRepo } from '../../../src/store/index.js';
import type { StartedStream, StreamCall } from '../../../src/telephony/twilio/index.js';
import { registerWebCallSocket, RoomTokens } from '../../../src/telephony/web/index.js';
import type { CallEvent } from '../../../src/voice/index.js';
import { useDatabase } from '../../store/drivers.js';

/** What the fake call controller saw of one call. */
interface FakeCall {
  stream: StartedStream;
  audio: Uint8Array[];
  marks: string[];
  digits: string[];
  ended: Promise<string>;
}

/** A page's side of the socket: every message kept, text as JSON, audio as bytes. */
class Page {
  readonly texts: Record<string, unknown>[] = [];
  readonly audio: Buffer[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (isBinary) this.audio.push(data as Buffer);
      else this.texts.push(JSON.parse(String(data)) as Record<string, unknown>);
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** Resolves once `test` holds (checked on every message). */
  async until(test: () => boolean): Promise<void> {
    while (!test()) await new Promise<void>((r) => this.waiters.push(r));
  }

  async text(type: string): Promise<Record<string, unknown>> {
    await this.until(() => this.texts.some((t) => t['type'] === type));
    return this.texts.find((t) => t['type'] === type)!;
  }
}

describe('the browser call media socket (GET /room/:name/media)', () => {
  const store = useDatabase({ name: 'pglite' });
  const tokens = new RoomTokens('room-token-secret-0123456789abcdef', 120);
  const bus = new InProcessBus<CallEvent>();
  const started: FakeCall[] = [];
  let failNextStart = false;
  let app: FastifyInstance;
  let base: string;
  let business: BusinessId;
  let calls: CallsRepo;
  let rooms: RoomsRepo;

  const fakeStartCall = async (stream: StartedStream): Promise<StreamCall> => {
    if (failNextStart) {
      failNextStart = false;
      throw new Error('no voice today');
    }
    let endWith!: (reason: string) => void;
    const call: FakeCall = {
      stream,
      audio: [],
      marks: [],
      digits: [],
      ended: new Promise((r) => (endWith = r)),
    };
    started.push(call);
    return {
      onAudio: (b) => call.audio.push(b),
      onDtmf: (d) => call.digits.push(d),
      onMarkEcho: (n) => call.marks.push(n),
      end: async (reason) => endWith(reason),
    };
  };

  const join = async (room: string, identity = 'Dana') =>
    tokens.issue({ room, businessId: business, identity });

  const open = async (room: string, token?: string): Promise<Page> => {
    const q = token === undefined ? '' : `?token=${encodeURIComponent(token)}`;
    const ws = new WebSocket(`${base}/room/${room}/media${q}`);
    const page = new Page(ws);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return page;
  };

  /** A connected call: the page has seen `ready`, the fake controller has the call. */
  const connect = async (room: string) => {
    const before = started.length;
    const page = await open(room, await join(room));
    const ready = await page.text('ready');
    await expect.poll(() => started.length).toBe(before + 1);
    return { page, call: started[before]!, callSid: ready['callSid'] as CallSid };
  };

  beforeAll(async () => {
    const db = store.database.db;
    business = (await new BusinessesRepo(db).create({ name: 'Acme Plumbing', greeting: 'Hi' })).id;
    calls = new CallsRepo(db);
    rooms = new RoomsRepo(db);
    await rooms.create({ businessId: business, name: 'lobby' });
    await rooms.create({ businessId: business, name: 'recorded', recordingEnabled: true });
    await rooms.create({ businessId: business, name: 'quiet', agentEnabled: false });
    app = Fastify();
    registerHttpEdge(app);
    await app.register(websocket);
    registerWebCallSocket(app, {
      tokens,
      rooms,
      calls,
      nodeId: 'node-test',
      startCall: fakeStartCall,
      bus,
      metrics: new Metrics(),
      log: createLogger({ level: 'silent' }),
      idleTimeoutMs: 30_000,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app?.close();
    await bus.close();
  });

  it('writes the call (channel web, in progress, claimed by this node) and starts it without recording', async () => {
    const { call, callSid } = await connect('lobby');
    expect(callSid).toMatch(/^WB[0-9a-f]{32}$/);
    expect(call.stream).toMatchObject({ callSid, businessId: business, record: false, callerId: undefined });
    const row = await calls.get(callSid);
    expect(row).toMatchObject({
      channel: 'web',
      direction: 'inbound',
      status: 'in-progress',
      fromNumber: 'web:Dana',
    });
  });

  it('records only when the room says so', async () => {
    const { call } = await connect('recorded');
    expect(call.stream.record).toBe(true);
  });

  it('hands 160-byte binary frames to the call in order, and drops frames of another size', async () => {
    const { page, call } = await connect('lobby');
    page.ws.send(Buffer.alloc(160, 1));
    page.ws.send(Buffer.alloc(100, 9));
    page.ws.send(Buffer.alloc(160, 2));
    await expect.poll(() => call.audio.length).toBe(2);
    expect(call.audio.map((a) => [a.length, a[0]])).toEqual([
      [160, 1],
      [160, 2],
    ]);
  });

  it("sends the agent's audio as binary frames, marks and clear as JSON, and echoes marks back", async () => {
    const { page, call } = await connect('lobby');
    const t = call.stream.transport;
    t.sendMedia(new Uint8Array(160).fill(0x7f));
    t.sendMark('turn-1');
    t.sendClear();
    await page.until(() => page.audio.length === 1 && page.texts.length >= 3);
    expect(page.audio[0]).toEqual(Buffer.alloc(160, 0x7f));
    expect(page.texts.slice(1)).toEqual([{ type: 'mark', name: 'turn-1' }, { type: 'clear' }]);
    page.ws.send(JSON.stringify({ type: 'mark', name: 'turn-1' }));
    page.ws.send(JSON.stringify({ type: 'dtmf', digit: '5' }));
    await expect.poll(() => [call.marks, call.digits]).toEqual([['turn-1'], ['5']]);
  });

  it('survives malformed frames: the call goes on', async () => {
    const { page, call } = await connect('lobby');
    for (const bad of [
      'not json',
      '{"type":"mark"}',
      '{"type":"dance"}',
      '[]',
      'x'.repeat(5000),
      '{"type":"dtmf","digit":"55"}',
    ])
      page.ws.send(bad);
    page.ws.send(Buffer.alloc(160, 3));
    await expect.poll(() => call.audio.length).toBe(1);
    expect(call.digits).toEqual([]);
    expect(page.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('ends the call when the page hangs up, and when the socket closes', async () => {
    const a = await connect('lobby');
    a.page.ws.send(JSON.stringify({ type: 'hangup' }));
    expect(await a.call.ended).toBe('caller hung up');
    expect(await a.page.text('ended')).toEqual({ type: 'ended', reason: 'caller hung up' });
    expect((await a.page.closed).code).toBe(1000);

    const b = await connect('lobby');
    b.page.ws.terminate();
    expect(await b.call.ended).toBe('socket closed');
  });

  it('tells the page when the agent hangs up', async () => {
    const { page, call } = await connect('lobby');
    call.stream.hangup();
    expect(await page.closed).toEqual({ code: 1000, reason: 'agent hung up' });
    expect(page.texts.at(-1)).toEqual({ type: 'ended', reason: 'agent hung up' });
    expect(await call.ended).toBe('agent hung up');
  });

  it("passes the call's transcripts and agent turns on as captions", async () => {
    const { page, callSid } = await connect('lobby');
    const base = { callSid, businessId: business, at: Date.now() };
    await bus.publish({
      ...base,
      seq: 1,
      type: 'transcript-final',
      track: 'inbound',
      text: 'I need a plumber',
      startMs: 0,
      endMs: 900,
    } as CallEvent);
    await bus.publish({
      ...base,
      seq: 2,
      type: 'agent-turn-ended',
      turnId: 't1',
      text: 'Sure, what is the address?',
      startMs: 1000,
      endMs: 2000,
    } as CallEvent);
    await page.until(() => page.texts.filter((t) => t['type'] === 'transcript').length === 2);
    expect(page.texts.filter((t) => t['type'] === 'transcript')).toEqual([
      { type: 'transcript', speaker: 'caller', text: 'I need a plumber' },
      { type: 'transcript', speaker: 'agent', text: 'Sure, what is the address?' },
    ]);
  });

  it('refuses a missing, forged or other-room token, and a token used twice, with 1008', async () => {
    const before = started.length;
    expect((await (await open('lobby')).closed).code).toBe(1008);
    const forged = await new RoomTokens('some-other-secret-0123456789abcdef', 120).issue({
      room: 'lobby',
      businessId: business,
      identity: 'Eve',
    });
    expect((await (await open('lobby', forged)).closed).code).toBe(1008);
    expect((await (await open('lobby', await join('recorded'))).closed).code).toBe(1008);

    const token = await join('lobby');
    const first = await open('lobby', token);
    await first.text('ready');
    const second = await open('lobby', token);
    expect(await second.closed).toEqual({ code: 1008, reason: 'invalid token' });
    expect(started.length).toBe(before + 1);
  });

  it("closes with 4003 'no agent in this room' when the room's agent is off, writing no call", async () => {
    const before = started.length;
    const page = await open('quiet', await join('quiet'));
    expect(await page.closed).toEqual({ code: 4003, reason: 'no agent in this room' });
    expect(page.texts).toEqual([{ type: 'ended', reason: 'no agent in this room' }]);
    expect(started.length).toBe(before);
  });

  it('gives a call that could not start its close code and no second chance with the same token', async () => {
    failNextStart = true;
    const token = await join('lobby');
    const page = await open('lobby', token);
    expect((await page.closed).code).toBe(1013);
    expect((await (await open('lobby', token)).closed).code).toBe(1008);
  });
});
