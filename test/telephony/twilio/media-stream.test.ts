import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import {
  hex,
  openStream,
  placeCall,
  postForm,
  sleep,
  voiceParams,
  waitFor,
  type Twilio,
} from './stream-peer.js';

/**
 * The media stream endpoint as an attacker or a stalled peer would use it: a stream token starts
 * one session once, a finished call takes no stream, and a connection that never sends `start`
 * is cut off.
 */
let server: TestServer;
let tw: Twilio;

beforeAll(async () => {
  server = await startTestServer({ STREAM_START_TIMEOUT_MS: '400' }, { stt: null });
  tw = { baseUrl: server.baseUrl, authToken: server.app.twilioAuthToken };
});
afterAll(async () => server?.stop());

const REFUSED = { error: 'Connection failed', message: 'Call ID not found' };

async function storedCall(callSid: string) {
  const res = await fetch(`${server.baseUrl}/api/calls/${callSid}`, {
    headers: { authorization: `Bearer ${server.app.apiKey}` },
  });
  return (
    (await res.json()) as {
      call: Record<string, unknown> & { turns: unknown[]; events: Array<{ type: string }> };
    }
  ).call;
}

async function metricsText() {
  return (await fetch(`${server.baseUrl}/metrics`)).text();
}

async function streamCall() {
  const { callSid, twiml } = await placeCall(tw);
  if (twiml.kind !== 'stream') throw new Error('expected a stream');
  return { callSid, token: twiml.parameters['token']! };
}

describe('media stream start deadline', () => {
  it('closes a connection that sends no start within STREAM_START_TIMEOUT_MS with the error JSON and 1008', async () => {
    const peer = await openStream(tw, `CA${hex(16)}`);
    peer.ws.send(peer.frames.connected());
    const t0 = Date.now();
    const closed = await Promise.race([peer.closed, sleep(3000).then(() => undefined)]);
    expect(closed?.code).toBe(1008);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(JSON.parse(peer.received[0] ?? '{}')).toEqual({
      error: 'Connection failed',
      message: 'No start message received in time',
    });
    expect(await metricsText()).toMatch(
      /switchboard_rejected_webhooks_total\{route="stream",reason="start-timeout"\} [1-9]/,
    );
  });

  it('a peer that keeps sending frames but never a valid start is still cut off at the deadline, holding no call slot', async () => {
    const peer = await openStream(tw, `CA${hex(16)}`);
    peer.ws.send(peer.frames.connected());
    const chatter = setInterval(() => {
      // Frames before start and a start without its fields: traffic, but no valid start.
      peer.silence(1);
      if (peer.ws.readyState === peer.ws.OPEN) peer.ws.send('{"event":"start","start":{}}');
    }, 50);
    try {
      await sleep(200);
      const health = (await (await fetch(`${server.baseUrl}/health`)).json()) as {
        sessions: { activeVoiceSessions: number };
      };
      expect(health.sessions.activeVoiceSessions).toBe(0);
      expect(await metricsText()).toMatch(/switchboard_active_calls 0/);
      const closed = await Promise.race([peer.closed, sleep(3000).then(() => undefined)]);
      expect(closed?.code).toBe(1008);
    } finally {
      clearInterval(chatter);
    }
  });

  it('keeps a stream that started in time past the deadline', async () => {
    const { callSid, token } = await streamCall();
    const peer = await openStream(tw, callSid);
    peer.start({ token });
    await sleep(800);
    peer.silence(5);
    expect(peer.ws.readyState).toBe(peer.ws.OPEN);
    await waitFor(() => peer.mediaFrames() > 0);
    peer.stop();
    await peer.closed;
  });
});

describe('stream tokens are single-use', () => {
  it('a second connection with the same token, in series, is refused and never touches the first call', async () => {
    const { callSid, token } = await streamCall();
    const first = await openStream(tw, callSid);
    first.start({ token });
    await waitFor(() => first.mediaFrames() > 10);

    const replay = await openStream(tw, callSid);
    replay.start({ token });
    expect((await replay.closed).code).toBe(1008);
    expect(JSON.parse(replay.received[0] ?? '{}')).toEqual(REFUSED);
    expect(replay.mediaFrames()).toBe(0);

    // The first call goes on and ends as it should, with one greeting and one stream.
    const before = first.mediaFrames();
    await sleep(300);
    expect(first.mediaFrames()).toBeGreaterThan(before);
    first.stop();
    await first.closed;
    await waitFor(async () => (await storedCall(callSid))['summary'] != null);
    const call = await storedCall(callSid);
    expect(call.events.filter((e) => e.type === 'stream-started')).toHaveLength(1);
    expect(call.turns).toHaveLength(1);
    expect((call['summary'] as { endReason: string }).endReason).toBe('stop');
  });

  it('two connections racing with one token: exactly one session starts', async () => {
    const { callSid, token } = await streamCall();
    const peers = await Promise.all([
      openStream(tw, callSid),
      openStream(tw, callSid),
      openStream(tw, callSid),
    ]);
    for (const p of peers) p.start({ token });
    await sleep(1500);
    const served = peers.filter((p) => p.mediaFrames() > 0);
    const refused = peers.filter((p) => p.received.some((r) => r.includes('Call ID not found')));
    expect(served).toHaveLength(1);
    expect(refused).toHaveLength(2);
    for (const p of refused) expect((await p.closed).code).toBe(1008);
    served[0]!.stop();
    await served[0]!.closed;
    await waitFor(async () => (await storedCall(callSid))['summary'] != null);
    const call = await storedCall(callSid);
    expect(call.events.filter((e) => e.type === 'stream-started')).toHaveLength(1);
  });

  it('a connection for a call that already finished is refused, and its recording stays as it was', async () => {
    const { callSid, token } = await streamCall();
    const first = await openStream(tw, callSid);
    first.start({ token });
    await waitFor(() => first.mediaFrames() > 10);
    first.stop();
    await first.closed;
    await waitFor(async () => (await storedCall(callSid))['recordingPath'] != null);
    const file = path.join(server.dataDir, (await storedCall(callSid))['recordingPath'] as string);
    const recording = readFileSync(file);

    const late = await openStream(tw, callSid);
    late.start({ token });
    expect((await late.closed).code).toBe(1008);
    expect(JSON.parse(late.received[0] ?? '{}')).toEqual(REFUSED);
    await sleep(300);
    expect(readFileSync(file).equals(recording)).toBe(true);
  });

  it('a replayed voice webhook for a completed call mints no working token', async () => {
    const { callSid, token } = await streamCall();
    await postForm(tw, '/twilio/status', {
      ...voiceParams(callSid),
      CallStatus: 'completed',
      SequenceNumber: '1',
    });
    const replay = await postForm(tw, '/twilio/voice', voiceParams(callSid));
    expect(replay.status).toBe(200);
    const xml = await replay.text();
    expect(xml).toContain('<Hangup/>');
    expect(xml).not.toContain('<Stream');
    // Nor does the token it handed out the first time.
    const peer = await openStream(tw, callSid);
    peer.start({ token });
    expect((await peer.closed).code).toBe(1008);
    expect(JSON.parse(peer.received[0] ?? '{}')).toEqual(REFUSED);
  });

  it('a recording already on disk for the call is never overwritten; the call still gets its summary and end', async () => {
    const { callSid, token } = await streamCall();
    const dir = path.join(server.dataDir, 'recordings');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${callSid}.wav`);
    writeFileSync(file, 'an earlier recording');
    const peer = await openStream(tw, callSid);
    peer.start({ token });
    await waitFor(() => peer.mediaFrames() > 10);
    peer.stop();
    await peer.closed;
    await waitFor(async () => (await storedCall(callSid))['endedAt'] != null);
    const call = await storedCall(callSid);
    expect(readFileSync(file, 'utf8')).toBe('an earlier recording');
    expect(call['recordingPath']).toBeNull();
    expect(call['summary']).toMatchObject({ endReason: 'stop' });
    expect(call).toMatchObject({ status: 'completed', endReason: 'stop' });
  });
});
