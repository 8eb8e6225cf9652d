import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { XMLParser } from 'fast-xml-parser';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AgentTools, LeadUpdate, TurnInput } from '../../../src/agent/index.js';
import type {
  ConversationId,
  ConversationRef,
  Conversations,
  OpenConversationInput,
  TurnResult,
} from '../../../src/conversations/index.js';
import { createLogger } from '../../../src/http/logger.js';
import { Metrics } from '../../../src/http/metrics.js';
import { asBusinessId, type CallSid, type E164 } from '../../../src/ids.js';
import type { SpeechToText, SttEvent, SttStream } from '../../../src/providers/stt/index.js';
import { EventChannel } from '../../../src/providers/stt/event-channel.js';
import type { Business } from '../../../src/store/index.js';
import type { RecordReplyCall } from '../../../src/telephony/twilio/record-reply.js';
import { signTwilioRequest, twilioSignatureVerifier } from '../../../src/telephony/twilio/signature.js';
import { StreamTokens } from '../../../src/telephony/twilio/stream-token.js';
import {
  registerVoiceWebhooks,
  type VoiceRecordReplyDeps,
  type VoiceWebhookPorts,
} from '../../../src/telephony/twilio/webhooks.js';
import { hex } from './stream-peer.js';

/**
 * The voice webhooks on a bare Fastify with the real signature check, and fakes for what lies
 * behind them: the store's ports, the conversation engine, the recognizers. For the phone menu,
 * routing, record-and-reply and stream-ended tests.
 */

export const AUTH_TOKEN = 'twilio-auth-token-for-tests';
export const ACCOUNT_SID = `AC${'a'.repeat(32)}`;
export const PUBLIC_URL = 'https://sb.example.com';
export const BUSINESS_NUMBER = '+15005550006';
export const CALLER = '+15555550100';
/** A menu as an owner would set it: a person, the assistant, a message. */
export const SALES_SUPPORT = {
  enabled: true,
  options: [
    { digit: '1', label: 'sales', action: 'dial', number: '+15005550111' },
    { digit: '2', label: 'support', action: 'assistant' },
    { digit: '3', label: 'a message', action: 'message' },
  ],
};
const SECRET = 'stream-secret-of-at-least-thirty-two-chars';

export function business(over: Partial<Business> = {}): Business {
  return {
    id: asBusinessId('11111111-1111-4111-8111-111111111111'),
    name: 'Acme Plumbing',
    trade: 'plumbing',
    greeting: 'Acme Plumbing, how can I help? For emergencies, press 1.',
    afterHoursGreeting: null,
    timezone: 'UTC',
    hours: { weekly: {}, holidays: [] },
    plan: 'PRO',
    publicKey: 'pk_test',
    settings: { profile: { transferNumber: '+15005550101' } },
    phoneNumbers: [BUSINESS_NUMBER as E164],
    createdAt: new Date(),
    updatedAt: new Date(),
    ...over,
  };
}

/** The conversation engine as the contract promises it; answers with `answer(input)`. */
export class FakeConversations implements Pick<Conversations, 'open' | 'take' | 'end'> {
  readonly opened: OpenConversationInput[] = [];
  readonly turns: TurnInput[] = [];
  readonly ended: string[] = [];
  readonly byParty = new Map<string, ConversationRef>();
  answer: (input: TurnInput) => TurnResult = (input) =>
    input.kind === 'call-started'
      ? { replies: ['Acme Plumbing, how can I help?'], outputs: [] }
      : input.kind === 'speech'
        ? { replies: [`You said: ${input.text}. We are open nine to five.`], outputs: [] }
        : { replies: ['Sorry, I did not hear you. How can I help?'], outputs: [] };

  async open(input: OpenConversationInput): Promise<ConversationRef> {
    this.opened.push(input);
    const known = this.byParty.get(input.partyKey);
    if (known) return { ...known, created: false };
    const ref: ConversationRef = {
      id: `conv-${this.byParty.size + 1}` as ConversationId,
      businessId: input.businessId,
      channel: input.channel,
      partyKey: input.partyKey,
      callSid: input.callSid ?? (`CA${hex(16)}` as CallSid),
      created: true,
      startedAt: new Date(),
      lastInboundAt: undefined,
      endedAt: undefined,
    };
    this.byParty.set(input.partyKey, ref);
    return ref;
  }

  async take(_id: ConversationId, input: TurnInput): Promise<TurnResult> {
    this.turns.push(input);
    return this.answer(input);
  }

  async end(_id: ConversationId, reason: string): Promise<void> {
    this.ended.push(reason);
  }
}

/**
 * A recognizer that hears what it is fed: its final is `text` when the audio it got has speech
 * in it (loud enough, long enough), else empty. It keeps the audio, so a test can check what the
 * recording became on the way (rate, length).
 */
export class FakeStt implements SpeechToText {
  readonly name = 'fake-stt';
  readonly capabilities = { turnEnd: 'vad', interimResults: false } as const;
  readonly received: Int16Array[] = [];
  constructor(
    readonly text: string,
    readonly sampleRate = 16000,
    private readonly fail = false,
  ) {}

  stream(): SttStream {
    const events = new EventChannel<SttEvent>();
    const pushed: Int16Array[] = [];
    return {
      track: 'inbound',
      push: (s) => void pushed.push(Int16Array.from(s)),
      flush: () => {
        if (this.fail) return events.fail(new Error('recognizer failed'));
        const all = concat(pushed);
        this.received.push(all);
        const loud = all.reduce((n, v) => n + (Math.abs(v) > 2000 ? 1 : 0), 0);
        const heard = loud > this.sampleRate * 0.2 ? this.text : '';
        events.push({ type: 'final', track: 'inbound', text: heard, alternatives: [{ text: heard }] });
        events.push({ type: 'utterance-end', track: 'inbound' });
      },
      expect: () => undefined,
      close: () => events.end(),
      [Symbol.asyncIterator]: () => events[Symbol.asyncIterator](),
    };
  }

  async close(): Promise<void> {}
}

function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Twilio's API host stand-in: serves recordings behind Basic auth and counts every request. */
export class RecordingServer {
  readonly requests: Array<{ url: string; authorization: string | undefined }> = [];
  readonly recordings = new Map<string, Uint8Array>();
  private server: Server | undefined;
  baseUrl = '';

  async start(): Promise<void> {
    const expected = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;
    this.server = createServer((req, res) => {
      this.requests.push({ url: req.url ?? '', authorization: req.headers.authorization });
      if (req.headers.authorization !== expected) {
        res.writeHead(401).end();
        return;
      }
      const wav = this.recordings.get(req.url ?? '');
      if (!wav) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'audio/x-wav', 'content-length': wav.length }).end(wav);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    const addr = this.server.address() as { port: number };
    this.baseUrl = `http://127.0.0.1:${addr.port}`;
  }

  /** A recording at Twilio's path for it; returns its RecordingUrl. */
  add(wav: Uint8Array): string {
    const p = `/2010-04-01/Accounts/${ACCOUNT_SID}/Recordings/RE${hex(16)}`;
    this.recordings.set(p, wav);
    return `${this.baseUrl}${p}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

export interface Harness {
  app: FastifyInstance;
  baseUrl: string;
  conversations: FakeConversations;
  calls: Map<string, RecordReplyCall>;
  businesses: Map<string, Business>;
  recognizers: SpeechToText[];
  leads: LeadUpdate[];
  recordings: RecordingServer;
  tmpDir: string;
  tokens: StreamTokens;
  logged: string[];
  /** POST signed as Twilio signs it (the public URL with the path and query). */
  post(pathAndQuery: string, params: Record<string, string>, opts?: { signed?: boolean }): Promise<Response>;
  /** A call the voice webhook stored (its row as record-and-reply reads it). */
  storeCall(over?: Partial<RecordReplyCall>): CallSid;
  close(): Promise<void>;
}

export interface HarnessOptions {
  recordReply?: boolean;
  endWaitMs?: number;
  /** The real thing in place of a fake (the engine test: the store's ports, the engine, the calls repo). */
  real?: Partial<Pick<VoiceRecordReplyDeps, 'conversations' | 'getCall' | 'getBusiness' | 'toolsFor'>> & {
    ports?: VoiceWebhookPorts;
  };
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const conversations = new FakeConversations();
  const calls = new Map<string, RecordReplyCall>();
  const businesses = new Map<string, Business>([[BUSINESS_NUMBER, business()]]);
  const recognizers: SpeechToText[] = [new FakeStt('what are your hours')];
  const leads: LeadUpdate[] = [];
  const recordings = new RecordingServer();
  await recordings.start();
  const tmpDir = mkdtempSync(path.join(tmpdir(), 'sb-rr-'));
  const logged: string[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (line: string) => logged.push(line) } });
  const metrics = new Metrics();
  const tokens = new StreamTokens(SECRET, 60);
  const byId = () => new Map([...businesses.values()].map((b) => [b.id as string, b]));
  const ports: VoiceWebhookPorts = {
    findBusinessByNumber: async (n) => businesses.get(n),
    recordInboundCall: async (c) => {
      if (!calls.has(c.callSid))
        calls.set(c.callSid, {
          businessId: c.businessId,
          fromNumber: c.from,
          toNumber: c.to,
          streamClaimedAt: null,
          endReason: null,
          summary: null,
          events: [],
        });
      return { state: 'new' };
    },
    recordStatus: async () => true,
    recordStreamStatus: async () => undefined,
  };
  const tools = {
    saveLead: async (lead: LeadUpdate) => void leads.push(lead),
  } as unknown as AgentTools;
  const recordReply: VoiceRecordReplyDeps = {
    conversations,
    getCall: async (sid) => calls.get(sid),
    getBusiness: async (id) => byId().get(id),
    recognizers: () => recognizers,
    recording: {
      baseUrl: recordings.baseUrl,
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      timeoutMs: 3000,
    },
    tmpDir,
    toolsFor: () => tools,
    canListen: () => recognizers.length > 0,
    endWaitMs: opts.endWaitMs ?? 300,
    ...opts.real,
  };
  const app = Fastify();
  await app.register(formbody);
  registerVoiceWebhooks(app, {
    ports: opts.real?.ports ?? ports,
    verifier: twilioSignatureVerifier(AUTH_TOKEN),
    tokens,
    publicUrl: PUBLIC_URL,
    streamUrl: 'wss://sb.example.com/twilio/stream',
    metrics,
    log,
    acceptingCalls: () => true,
    ...(opts.recordReply === false ? {} : { recordReply }),
  });
  const baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    app,
    baseUrl,
    conversations,
    calls,
    businesses,
    recognizers,
    leads,
    recordings,
    tmpDir,
    tokens,
    logged,
    post: (pathAndQuery, params, o = {}) =>
      fetch(`${baseUrl}${pathAndQuery}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(o.signed === false
            ? {}
            : {
                'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, `${PUBLIC_URL}${pathAndQuery}`, params),
              }),
        },
        body: new URLSearchParams(params).toString(),
      }),
    storeCall: (over = {}) => {
      const callSid = `CA${hex(16)}` as CallSid;
      calls.set(callSid, {
        businessId: business().id,
        fromNumber: CALLER,
        toNumber: BUSINESS_NUMBER,
        streamClaimedAt: null,
        endReason: null,
        summary: null,
        events: [],
        ...over,
      });
      return callSid;
    },
    close: async () => {
      await app.close();
      await recordings.stop();
      rmSync(tmpDir, { recursive: true, force: true });
    },
  };
}

/** The voice parameters Twilio sends with every request of a call (PROTOCOLS.md 3.1). */
export function callParams(callSid: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CallSid: callSid,
    AccountSid: ACCOUNT_SID,
    From: CALLER,
    To: BUSINESS_NUMBER,
    CallStatus: 'in-progress',
    Direction: 'inbound',
    ApiVersion: '2010-04-01',
    ...extra,
  };
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  preserveOrder: true,
  parseTagValue: false,
});

export interface Verb {
  name: string;
  attrs: Record<string, string>;
  /** Text of a <Say>, <Dial> or <Redirect>; the verbs nested in a <Gather> or <Connect>. */
  text: string;
  children: Verb[];
}

/** The verbs of a TwiML answer, in document order (Twilio runs them one after the other). */
export async function verbsOf(res: Response): Promise<Verb[]> {
  if (res.status !== 200) throw new Error(`expected TwiML, got ${res.status}: ${await res.text()}`);
  const body = await res.text();
  const doc = parser.parse(body) as Array<Record<string, unknown>>;
  const response = doc.find((n) => 'Response' in n);
  return toVerbs((response?.['Response'] ?? []) as Array<Record<string, unknown>>);
}

function toVerbs(nodes: Array<Record<string, unknown>>): Verb[] {
  return nodes
    .filter((n) => !('#text' in n))
    .map((n) => {
      const name = Object.keys(n).find((k) => k !== ':@')!;
      const inner = (n[name] ?? []) as Array<Record<string, unknown>>;
      const attrs = (n[':@'] ?? {}) as Record<string, string>;
      return {
        name,
        attrs: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k.replace(/^@/, ''), String(v)])),
        text: inner
          .filter((c) => '#text' in c)
          .map((c) => String(c['#text']))
          .join(''),
        children: toVerbs(inner),
      };
    });
}

/** A WAV file of 8 kHz 16-bit mono PCM, as Twilio's recordings are. */
export { writeWav } from '../../../src/audio/index.js';
