import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentTools, Brain, BrainOutput } from '../../../src/agent/index.js';
import { createLogger } from '../../../src/http/logger.js';
import { Metrics } from '../../../src/http/metrics.js';
import { asCallSid, asStreamSid, type BusinessId, type CallSid } from '../../../src/ids.js';
import { InProcessBus } from '../../../src/store/bus/index.js';
import { BusinessesRepo, CallsRepo, openDatabase, type Database } from '../../../src/store/index.js';
import { createCallController } from '../../../src/telephony/twilio/call-controller.js';
import type { StreamCall } from '../../../src/telephony/twilio/media-stream.js';
import { LiveCalls, type CallEvent, type MediaTransport } from '../../../src/voice/index.js';
import { WordTts } from '../../support/voice-harness.js';
import { hex, waitFor } from './stream-peer.js';

/**
 * MAX_CONCURRENT_CALLS at stream start: behind a load balancer a stream may reach a node that is
 * already full although its webhook was answered elsewhere. That node says the busy line over
 * the stream and hangs up, instead of starting the business's brain, and the call records why.
 */

const BUSINESS_NUMBER = '+15005550006';
const log = createLogger({ level: 'silent' });

let dataDir: string;
let database: Database;
let businessId: BusinessId;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'sb-capacity-'));
  database = await openDatabase({ dataDir, logger: log });
  businessId = (
    await new BusinessesRepo(database.db).create({
      name: 'Acme Plumbing',
      greeting: 'Hi',
      phoneNumbers: [BUSINESS_NUMBER],
    })
  ).id;
});
afterAll(async () => {
  await database?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const businessBrain: Brain = {
  async *respond(turn): AsyncIterable<BrainOutput> {
    if (turn.kind === 'call-started') yield { type: 'say', text: 'Acme Plumbing, how can I help?' };
  },
};

/** Starts one call through the controller with `live` calls already on a node that takes `max`. */
async function startOne(live: number, max: number) {
  const calls = new CallsRepo(database.db);
  const callSid: CallSid = asCallSid(`CA${hex(16)}`);
  await calls.create({ callSid, businessId, from: '+15555550100', to: BUSINESS_NUMBER });
  const events: CallEvent[] = [];
  const bus = new InProcessBus<CallEvent>();
  await bus.subscribe({ businessId }, (e) => void events.push(e));
  const metrics = new Metrics();
  const liveCalls = new LiveCalls();
  let brainsBuilt = 0;
  let hungUp = false;
  const controller = createCallController({
    calls,
    businesses: new BusinessesRepo(database.db),
    brainFor: () => {
      brainsBuilt++;
      return businessBrain;
    },
    tts: [new WordTts()],
    stt: [],
    providerStallMs: 5000,
    vad: {
      createStream: () => {
        throw new Error('no listening in this test');
      },
    },
    bus,
    liveCalls,
    metrics,
    log,
    dataDir,
    recordingsDir: path.join(dataDir, 'recordings'),
    playoutLeadMs: 240,
    voiceMode: 'pipeline',
    realtime: undefined,
    toolsFor: () => ({}) as AgentTools,
    capacity: { live: () => live, max },
  });
  const echo: { to?: StreamCall; early: string[] } = { early: [] };
  let framesOut = 0;
  const transport: MediaTransport = {
    sendMedia: () => void framesOut++,
    // Twilio echoes a mark once the audio before it has played: here, at once.
    sendMark: (name) =>
      void setImmediate(() => {
        if (echo.to) echo.to.onMarkEcho(name);
        else echo.early.push(name);
      }),
    sendClear: () => undefined,
  };
  const started = await controller.startCall({
    callSid,
    streamSid: asStreamSid(`MZ${hex(16)}`),
    businessId,
    customParameters: {},
    transport,
    callerId: undefined,
    hangup: () => {
      hungUp = true;
      // As the media stream does once its socket closes.
      void started.end('socket closed');
    },
    log,
  });
  echo.to = started;
  for (const name of echo.early.splice(0)) started.onMarkEcho(name);
  return {
    callSid,
    events,
    metrics,
    started,
    get brainsBuilt() {
      return brainsBuilt;
    },
    get hungUp() {
      return hungUp;
    },
    get framesOut() {
      return framesOut;
    },
  };
}

/** What the agent said in full, turn by turn. */
const saidBy = (events: CallEvent[]) =>
  events.flatMap((e) => (e.type === 'agent-turn-ended' ? [e.text] : []));

describe('MAX_CONCURRENT_CALLS at stream start', () => {
  it('a node at its limit says the busy line over the stream and hangs up; the business brain is never built', async () => {
    const c = await startOne(3, 3);
    await waitFor(() => c.hungUp, 10_000);
    expect(c.brainsBuilt).toBe(0);
    expect(c.framesOut).toBeGreaterThan(0);
    await waitFor(() => c.events.some((e) => e.type === 'call-ended'), 10_000);
    const said = JSON.stringify(saidBy(c.events));
    expect(said).toContain(
      'Thanks for calling Acme Plumbing. All our lines are busy right now; please call back in a few minutes. Goodbye.',
    );
    const refused = await c.metrics.refusedCalls.get();
    expect(refused.values).toEqual([
      expect.objectContaining({ labels: { reason: 'over-capacity', at: 'stream' }, value: 1 }),
    ]);
  });

  it('the call row records why it ended, and keeps no recording', async () => {
    const c = await startOne(5, 2);
    await waitFor(() => c.hungUp, 10_000);
    const calls = new CallsRepo(database.db);
    await waitFor(async () => (await calls.get(c.callSid))?.status === 'completed', 10_000);
    const row = await calls.get(c.callSid);
    expect(row).toMatchObject({ status: 'completed', endReason: 'over-capacity', recordingPath: null });
  });

  it('below the limit (or with no limit) the business brain takes the call', async () => {
    for (const [live, max] of [
      [1, 2],
      [40, 0],
    ] as const) {
      const c = await startOne(live, max);
      await waitFor(() => JSON.stringify(saidBy(c.events)).includes('how can I help'), 10_000);
      expect(c.brainsBuilt).toBe(1);
      expect(c.hungUp).toBe(false);
      await c.started.end('test over');
    }
  });
});
