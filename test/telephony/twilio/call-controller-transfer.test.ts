import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AgentTools, Brain, BrainOutput } from '../../../src/agent/index.js';
import { createLogger } from '../../../src/http/logger.js';
import { Metrics } from '../../../src/http/metrics.js';
import { asCallSid, asStreamSid, type BusinessId, type CallSid, type E164 } from '../../../src/ids.js';
import { InProcessBus } from '../../../src/store/bus/index.js';
import { BusinessesRepo, CallsRepo, openDatabase, type Database } from '../../../src/store/index.js';
import {
  createCallController,
  type CallControllerDeps,
} from '../../../src/telephony/twilio/call-controller.js';
import type { StreamCall } from '../../../src/telephony/twilio/media-stream.js';
import { LiveCalls, type CallEvent, type MediaTransport } from '../../../src/voice/index.js';
import { WordTts } from '../../support/voice-harness.js';
import { hex, waitFor } from './stream-peer.js';

/**
 * A transfer from the AI to a person, through the call controller: with assist on transfer,
 * the new TwiML starts the assist stream (with a token for this call) before the <Dial>; a
 * token that cannot be made never holds up the transfer.
 */

const AGENT = '+15005550101' as E164;
const BUSINESS_NUMBER = '+15005550006';
const log = createLogger({ level: 'silent' });

let dataDir: string;
let database: Database;
let businessId: BusinessId;
const ending: Array<() => Promise<void>> = [];

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'sb-transfer-'));
  database = await openDatabase({ dataDir, logger: log });
  const business = await new BusinessesRepo(database.db).create({
    name: 'Acme Plumbing',
    greeting: 'Hi',
    phoneNumbers: [BUSINESS_NUMBER],
  });
  businessId = business.id;
});
afterEach(async () => {
  for (const end of ending.splice(0)) await end();
});
afterAll(async () => {
  await database?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Greets with the hand-over line and transfers at once. */
const transferringBrain: Brain = {
  async *respond(turn): AsyncIterable<BrainOutput> {
    if (turn.kind !== 'call-started') return;
    yield { type: 'say', text: 'Connecting you now.' };
    yield { type: 'transfer', to: AGENT, summary: 'wants a person', reason: 'caller-request' };
  },
};

/** Runs one AI call that transfers; returns the TwiML the call was moved to. */
async function transferTwiml(assistOnTransfer?: CallControllerDeps['assistOnTransfer']): Promise<string> {
  const calls = new CallsRepo(database.db);
  const callSid: CallSid = asCallSid(`CA${hex(16)}`);
  await calls.create({ callSid, businessId, from: '+15555550100', to: BUSINESS_NUMBER });
  const moved: string[] = [];
  const controller = createCallController({
    calls,
    businesses: new BusinessesRepo(database.db),
    brainFor: () => transferringBrain,
    tts: [new WordTts()],
    stt: [],
    providerStallMs: 5000,
    vad: {
      createStream: () => {
        throw new Error('no listening in this test');
      },
    },
    updateCallTwiml: async (sid, twiml) => {
      expect(sid).toBe(callSid);
      moved.push(twiml);
    },
    bus: new InProcessBus<CallEvent>(),
    liveCalls: new LiveCalls(),
    metrics: new Metrics(),
    log,
    dataDir,
    recordingsDir: path.join(dataDir, 'recordings'),
    playoutLeadMs: 240,
    voiceMode: 'pipeline',
    realtime: undefined,
    toolsFor: () => ({}) as AgentTools,
    ...(assistOnTransfer ? { assistOnTransfer } : {}),
  });
  /** The call once startCall returned; marks sent before that are echoed then. */
  const echo: { to?: StreamCall; early: string[] } = { early: [] };
  // Twilio echoes a mark once the audio before it has played: here, at once.
  const transport: MediaTransport = {
    sendMedia: () => undefined,
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
    hangup: () => undefined,
    log,
  });
  echo.to = started;
  for (const name of echo.early.splice(0)) started.onMarkEcho(name);
  ending.push(() => started.end('test over'));
  // The caller's line, as Twilio streams it: 20 ms of silence at a time.
  const silence = new Uint8Array(160).fill(0xff);
  const line = setInterval(() => started.onAudio(silence, Buffer.from(silence).toString('base64')), 20);
  try {
    await waitFor(() => moved.length > 0, 10_000);
  } finally {
    clearInterval(line);
  }
  return moved[0]!;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  preserveOrder: true,
});
type Node = Record<string, unknown> & { ':@'?: Record<string, string> };
function verbs(xml: string): Node[] {
  const doc = parser.parse(xml) as Node[];
  return (doc.find((n) => 'Response' in n)?.['Response'] as Node[]) ?? [];
}
const verbName = (n: Node) => Object.keys(n).find((k) => k !== ':@');

describe('transfer with assist', () => {
  it('starts the assist stream, with a token for this call and business, before dialling the person', async () => {
    const asked: Array<[CallSid, BusinessId]> = [];
    const xml = await transferTwiml({
      streamUrl: 'wss://assist.example.com/assist/stream',
      token: async (callSid, business) => {
        asked.push([callSid, business]);
        return `assist-token-for-${callSid}`;
      },
      statusCallbackUrl: 'https://sb.example.com/twilio/stream-status',
    });
    const v = verbs(xml);
    expect(v.map(verbName)).toEqual(['Start', 'Dial']);
    const stream = (v[0]!['Start'] as Node[])[0]!;
    expect(stream[':@']).toEqual({
      '@name': 'switchboard-assist',
      '@url': 'wss://assist.example.com/assist/stream',
      '@track': 'both_tracks',
      '@statusCallback': 'https://sb.example.com/twilio/stream-status',
    });
    expect((stream['Stream'] as Node[]).map((p) => p[':@'])).toEqual([
      { '@name': 'token', '@value': `assist-token-for-${asked[0]![0]}` },
    ]);
    expect(asked).toEqual([[expect.stringMatching(/^CA/), businessId]]);
    expect(v[1]![':@']).toEqual({ '@callerId': BUSINESS_NUMBER });
    expect(JSON.stringify(v[1]!['Dial'])).toContain(AGENT);
  });

  it('without assist on transfer, the call moves with a plain <Dial>, as before', async () => {
    expect(verbs(await transferTwiml()).map(verbName)).toEqual(['Dial']);
  });

  it('a token that cannot be made leaves the transfer to go ahead without assist', async () => {
    const xml = await transferTwiml({
      streamUrl: 'wss://assist.example.com/assist/stream',
      token: async () => {
        throw new Error('signing key gone');
      },
    });
    expect(verbs(xml).map(verbName)).toEqual(['Dial']);
  });
});
