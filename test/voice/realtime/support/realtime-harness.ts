import {
  noTools,
  type AgentTools,
  type EmergencyReport,
  type LeadUpdate,
} from '../../../../src/agent/index.js';
import { businessProfileSchema } from '../../../../src/business/profile.js';
import { asBusinessId, asCallSid } from '../../../../src/ids.js';
import type { RealtimeConnection } from '../../../../src/providers/realtime/index.js';
import { CallEventStream } from '../../../../src/voice/call-event-stream.js';
import { CallLog } from '../../../../src/voice/call-log.js';
import type { CallEvent, CallEventOf, CallEventType } from '../../../../src/voice/events.js';
import type { MediaTransport } from '../../../../src/voice/playout.js';
import {
  RealtimeSession,
  type RealtimeHandover,
  type RealtimeSessionDeps,
  type TakeoverSession,
} from '../../../../src/voice/realtime/index.js';
import { FakeClock } from '../../../support/fake-clock.js';
import { MemoryCallLogStore } from '../../../support/voice-harness.js';
import { FakeRealtimeConnection } from './fake-connection.js';

type Played = { kind: 'media' } | { kind: 'mark'; name: string };

/** The tools the bridge runs, recording what reached them. */
export class SpyTools {
  readonly emergencies: EmergencyReport[] = [];
  readonly leads: LeadUpdate[] = [];
  readonly tools: AgentTools = {
    ...noTools(),
    raiseEmergency: async (r) => void this.emergencies.push(r),
    saveLead: async (l) => void this.leads.push(l),
  };
}

/**
 * A Realtime-bridged call on a fake clock: the bridge under test, an in-memory upstream connection,
 * and a fake Twilio leg that plays one 20 ms frame per tick, echoes marks once the audio before them
 * has played and honours `clear` by echoing every pending mark.
 */
export class RealtimeHarness {
  readonly clock = new FakeClock();
  readonly conn = new FakeRealtimeConnection();
  readonly session: RealtimeSession;
  readonly spy = new SpyTools();
  readonly stream = new CallEventStream(asCallSid('CArt'), asBusinessId('b-rt'), {
    onListenerError: (err) => {
      throw err;
    },
  });
  readonly events: CallEvent[] = [];
  readonly store = new MemoryCallLogStore();
  readonly callLog: CallLog;
  readonly wire: Array<{ kind: 'media' | 'mark' | 'clear'; at: number; name?: string }> = [];
  readonly handovers: RealtimeHandover[] = [];
  /** What the takeover session was given, once there was a switch. */
  readonly takeoverCalls: string[] = [];
  hungUp = false;
  private readonly playback: Played[] = [];
  framesPlayed = 0;
  /** The fake Twilio leg (a takeover session speaks on it too). */
  readonly transport: MediaTransport;
  private connectResult: () => Promise<RealtimeConnection>;

  constructor(opts: Partial<RealtimeSessionDeps> & { connect?: RealtimeSessionDeps['connect'] } = {}) {
    this.connectResult = async () => this.conn;
    const transport: MediaTransport = (this.transport = {
      // Twilio buffers bytes: a payload of several 20 ms frames plays as that many frames.
      sendMedia: (payload) => {
        for (let i = 0; i < Math.max(1, payload.length / 160); i++) {
          this.wire.push({ kind: 'media', at: this.clock.now() });
          this.playback.push({ kind: 'media' });
        }
      },
      sendMark: (name) => {
        this.wire.push({ kind: 'mark', name, at: this.clock.now() });
        this.playback.push({ kind: 'mark', name });
        this.echoLeadingMarks();
      },
      sendClear: () => {
        this.wire.push({ kind: 'clear', at: this.clock.now() });
        const pending = this.playback.splice(0);
        for (const p of pending) if (p.kind === 'mark') queueMicrotask(() => this.session.onMarkEcho(p.name));
      },
    });
    this.callLog = new CallLog({ store: this.store, streamSid: 'MZrt', log: { error: () => undefined } });
    this.stream.subscribe((e) => this.events.push(e));
    this.stream.subscribe(this.callLog.listener);
    const lifetime = new AbortController();
    const silent = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    };
    this.session = new RealtimeSession({
      transport,
      hangup: () => (this.hungUp = true),
      business: businessProfileSchema.parse({
        name: 'Acme Plumbing',
        trade: 'plumbing',
        timezone: 'America/New_York',
        hours: { weekly: { mon: [{ open: '08:00', close: '18:00' }] } },
        greeting: 'Thanks for calling Acme Plumbing, how can I help?',
      }),
      tools: this.spy.tools,
      lifetime: lifetime.signal,
      events: this.stream,
      log: silent,
      connect: (signal) => (opts.connect ? opts.connect(signal) : this.connectResult()),
      voice: 'marin',
      turnDetection: { type: 'server_vad', threshold: 0.5, prefixPaddingMs: 300, silenceDurationMs: 500 },
      takeOver: (h): TakeoverSession => {
        this.handovers.push(h);
        const calls = this.takeoverCalls;
        return {
          start: () => void calls.push('start'),
          onAudio: () => void calls.push('audio'),
          onDtmf: (d) => void calls.push(`dtmf ${d}`),
          onMarkEcho: () => undefined,
          sayGoodbye: async () => void calls.push('goodbye'),
          end: async (r) => void calls.push(`end ${r}`),
        };
      },
      playoutLeadMs: 100,
      clock: this.clock,
      // Monday 10:00 in New York: open, so the business greeting is the open one.
      now: () => new Date('2026-03-02T15:00:00Z'),
      ...opts,
    });
  }

  /** Starts the call and completes the upstream handshake (session.updated). */
  async open(): Promise<void> {
    this.session.start();
    await flush();
    this.conn.push({ type: 'session.created', session: { id: 'sess_1' } });
    this.conn.push({ type: 'session.updated', session: { id: 'sess_1' } });
    await flush();
  }

  /** Server events, then let the bridge handle them. */
  async server(...events: Parameters<FakeRealtimeConnection['push']>): Promise<void> {
    this.conn.push(...events);
    await flush();
  }

  /** Runs the call forward `ms` of fake time in 20 ms ticks, a caller frame each tick, as Twilio would. */
  async run(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += 20) {
      this.clock.advance(20);
      if (this.playback[0]?.kind === 'media') {
        this.playback.shift();
        this.framesPlayed++;
      }
      this.echoLeadingMarks();
      this.session.onAudio(SILENT_FRAME, SILENT_B64);
      await flush();
    }
  }

  private echoLeadingMarks(): void {
    while (this.playback[0]?.kind === 'mark') {
      const m = this.playback.shift() as { name: string };
      this.session.onMarkEcho(m.name);
    }
  }

  clears(): number {
    return this.wire.filter((w) => w.kind === 'clear').length;
  }

  ofType<T extends CallEventType>(type: T): Array<CallEventOf<T>> {
    return this.events.filter((e): e is CallEventOf<T> => e.type === type);
  }

  async end(reason = 'stop'): Promise<void> {
    await this.session.end(reason);
    await this.callLog.flushed();
  }
}

export const SILENT_FRAME = new Uint8Array(160).fill(0xff);
export const SILENT_B64 = Buffer.from(SILENT_FRAME).toString('base64');

export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise((r) => setImmediate(r));
}
