import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_BUSINESS_ID } from '../../../src/store/index.js';
import type { CallEvent } from '../../../src/voice/events.js';
import { startTestServer, type TestServer } from '../../support/test-server.js';
import { WordTts } from '../../support/voice-harness.js';
import { readTwiml } from '../../../src/sim/twiml-reader.js';
import { hex, openStream, placeCall, postForm, voiceParams, waitFor, type Twilio } from './stream-peer.js';

/**
 * The call controller inside the real server: a call's events reach the bus, the call log and
 * the registry of live calls, and its recording is kept owner-only and never written over.
 */
let server: TestServer;
let tw: Twilio;
const events: CallEvent[] = [];

beforeAll(async () => {
  server = await startTestServer({}, { stt: null, tts: new WordTts() });
  tw = { baseUrl: server.baseUrl, authToken: server.app.twilioAuthToken };
  await server.app.bus.subscribe({ businessId: DEMO_BUSINESS_ID }, (e) => void events.push(e));
});
afterAll(async () => server?.stop());

async function storedCall(callSid: string) {
  const res = await fetch(`${server.baseUrl}/api/calls/${callSid}`, {
    headers: { authorization: `Bearer ${server.app.apiKey}` },
  });
  return (
    (await res.json()) as {
      call: Record<string, unknown> & {
        status: string;
        recordingPath: string | null;
        turns: unknown[];
        events: Array<{ type: string }>;
      };
    }
  ).call;
}

/** One call: stream started, greeting heard, then Twilio's stop. */
async function oneCall(callSid = `CA${hex(16)}`, beforeStop?: () => Promise<void>) {
  const { twiml } = await placeCall(tw, callSid);
  if (twiml.kind !== 'stream') throw new Error('expected a stream');
  const peer = await openStream(tw, callSid);
  peer.start({ token: twiml.parameters['token']! });
  await waitFor(() => peer.mediaFrames() > 5);
  await beforeStop?.();
  peer.stop();
  await peer.closed;
  await waitFor(async () => (await storedCall(callSid))['summary'] != null);
  return callSid;
}

describe('call controller', () => {
  it('a call’s events reach the bus in order, the registry counts it while live, and its log and recording are stored (the file by a job after the end)', async () => {
    let liveWhileUp = 0;
    const callSid = await oneCall(undefined, async () => {
      liveWhileUp = server.app.liveCalls.size;
      const health = (await (await fetch(`${server.baseUrl}/health`)).json()) as {
        sessions: { activeVoiceSessions: number };
      };
      expect(health.sessions.activeVoiceSessions).toBe(1);
    });
    expect(liveWhileUp).toBe(1);
    await waitFor(() => events.some((e) => e.callSid === callSid && e.type === 'call-ended'));
    const mine = events.filter((e) => e.callSid === callSid);
    expect(mine.map((e) => e.seq)).toEqual(mine.map((_, i) => i + 1));
    expect(mine[0]).toMatchObject({ type: 'call-started', businessId: DEMO_BUSINESS_ID });
    expect(mine.at(-1)).toMatchObject({
      type: 'call-ended',
      reason: 'stop',
      outcome: 'caller-hung-up',
    });
    expect(server.app.liveCalls.size).toBe(0);

    // The call's end does not wait for its file: a recording job writes it, then marks the row.
    await waitFor(async () => (await storedCall(callSid)).recordingPath != null);
    const call = await storedCall(callSid);
    expect(call.recordingPath).toBe(path.join('recordings', `${callSid}.wav`));
    expect(call.status).toBe('completed');
    expect(call.turns).toHaveLength(1); // the greeting
    expect(call.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['stream-started', 'stream-stopped']),
    );
    const file = path.join(server.dataDir, 'recordings', `${callSid}.wav`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(readFileSync(file).subarray(0, 4).toString()).toBe('RIFF');
  });

  it('never writes over a recording already at its path; the rest of the call’s end is still written', async () => {
    const callSid = `CA${hex(16)}`;
    const dir = path.join(server.dataDir, 'recordings');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `${callSid}.wav`);
    writeFileSync(file, 'keep me', { mode: 0o600 });
    await oneCall(callSid);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    const call = await storedCall(callSid);
    expect(call.status).toBe('completed');
    expect(call.recordingPath).toBeNull();
    const ended = events.find((e) => e.callSid === callSid && e.type === 'call-ended');
    expect(ended).toBeDefined();
    expect(ended).not.toHaveProperty('recording');
  });

  it('a WhatsApp call runs on its own line: its events and its record say whatsapp', async () => {
    const callSid = `CA${hex(16)}`;
    const res = await postForm(
      tw,
      '/whatsapp/voice',
      voiceParams(callSid, { From: 'whatsapp:+15555550142', To: 'whatsapp:+15005550006' }),
    );
    const twiml = readTwiml(await res.text());
    if (twiml.kind !== 'stream') throw new Error('expected a stream');
    const peer = await openStream(tw, callSid);
    peer.start({ token: twiml.parameters['token']! });
    await waitFor(() => peer.mediaFrames() > 5);
    peer.stop();
    await peer.closed;
    await waitFor(() => events.some((e) => e.callSid === callSid && e.type === 'call-ended'));
    expect(events.find((e) => e.callSid === callSid)).toMatchObject({
      type: 'call-started',
      channel: 'whatsapp',
    });
    expect(await storedCall(callSid)).toMatchObject({
      channel: 'whatsapp',
      fromNumber: 'whatsapp:+15555550142',
    });
  });
});
