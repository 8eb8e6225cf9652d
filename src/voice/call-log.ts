import type { CallSid } from '../ids.js';
import type { CallEvent, CallEventOf } from './events.js';
import type { TurnLatency } from './latency.js';

/** A stored turn; offsets are ms since the stream started. */
export interface LoggedTurn {
  speaker: 'caller' | 'agent';
  text: string;
  startOffsetMs: number;
  endOffsetMs: number;
  startedAt: Date;
  endedAt: Date;
  interrupted: boolean;
  heardText: string | null;
  latency: TurnLatency | null;
}

/** Where a call's log is kept (the calls repository, adapted by whoever wires the call). */
export interface CallLogStore {
  appendTurn(callSid: CallSid, turn: LoggedTurn): Promise<unknown>;
  appendEvent(callSid: CallSid, type: string, payload: Record<string, unknown>, at: Date): Promise<unknown>;
  setRecording(callSid: CallSid, path: string): Promise<unknown>;
  setSummary(callSid: CallSid, summary: Record<string, unknown>): Promise<unknown>;
  /** Our part of the call is over: `transferred` when it goes on with a human. */
  endCall(callSid: CallSid, end: { reason: string; transferred: boolean; at: Date }): Promise<unknown>;
}

export interface CallLogOptions {
  store: CallLogStore;
  /** Kept with the `stream-started` event. */
  streamSid?: string;
  log: { error(obj: object, msg?: string): void };
}

/**
 * The call log as a listener on one call's events: caller and agent turns (only what the caller
 * heard of a cut agent turn), the notable events, and at the end the recording, summary and end.
 * Writes go in event order, one at a time, off the audio path; a failed write is logged and the
 * next one still runs. Stored payloads keep no caller details (those live in their own tables).
 */
export class CallLog {
  private writes: Promise<void> = Promise.resolve();
  private startedAt: number | undefined;
  /** Latency arrives just before its turn's end; kept until then. */
  private readonly latency = new Map<string, TurnLatency>();

  constructor(private readonly opts: CallLogOptions) {}

  /** The listener to subscribe to the call's stream. */
  readonly listener = (e: CallEvent): void => this.on(e);

  /** Resolves once everything heard so far is written. */
  flushed(): Promise<void> {
    return this.writes;
  }

  private write(what: string, run: () => Promise<unknown>): void {
    this.writes = this.writes.then(run).then(
      () => undefined,
      (err: unknown) => this.opts.log.error({ err }, `call log: ${what} failed`),
    );
  }

  private event(e: CallEvent, type: string, payload: Record<string, unknown>): void {
    this.write(`event ${type}`, () => this.opts.store.appendEvent(e.callSid, type, payload, new Date(e.at)));
  }

  private turn(e: CallEvent, t: Omit<LoggedTurn, 'startedAt' | 'endedAt'>): void {
    const base = this.startedAt ?? e.at - t.endOffsetMs;
    const turn: LoggedTurn = {
      ...t,
      startedAt: new Date(base + t.startOffsetMs),
      endedAt: new Date(base + t.endOffsetMs),
    };
    this.write('turn', () => this.opts.store.appendTurn(e.callSid, turn));
  }

  private on(e: CallEvent): void {
    switch (e.type) {
      case 'call-started':
        this.startedAt = e.at;
        this.event(e, 'stream-started', this.opts.streamSid ? { streamSid: this.opts.streamSid } : {});
        return;
      case 'transcript-final':
        if (e.track !== 'inbound') return;
        this.turn(e, {
          speaker: 'caller',
          text: e.text,
          startOffsetMs: e.startMs,
          endOffsetMs: e.endMs,
          interrupted: false,
          heardText: null,
          latency: null,
        });
        return;
      case 'digits-entered':
        this.turn(e, {
          speaker: 'caller',
          text: `[keys] ${e.digits}`,
          startOffsetMs: e.atMs,
          endOffsetMs: e.atMs,
          interrupted: false,
          heardText: null,
          latency: null,
        });
        return;
      case 'dtmf':
        this.event(e, 'dtmf', { digit: e.digit, atMs: e.atMs });
        return;
      case 'turn-latency':
        this.latency.set(e.turnId, e.latency);
        return;
      case 'agent-turn-ended':
      case 'agent-turn-interrupted':
        this.agentTurn(e);
        return;
      case 'lead':
        this.event(e, 'lead', { complete: e.complete, fields: Object.keys(e.fields).sort() });
        return;
      case 'emergency':
        this.event(e, 'emergency', { category: e.category });
        return;
      case 'booking':
        this.event(e, 'booking', { action: e.action, bookingId: e.bookingId });
        return;
      case 'question':
        this.event(e, 'question-for-owner', {});
        return;
      case 'transfer':
        this.event(e, 'transfer', { reason: e.reason, hasNumber: e.to !== undefined, summary: e.summary });
        return;
      case 'transfer-result':
        this.event(e, 'transfer-result', { transferred: e.transferred });
        return;
      case 'agent-hangup':
        this.event(e, 'agent-hangup', { reason: e.reason });
        return;
      case 'goodbye':
        this.event(e, 'goodbye', { atMs: e.atMs });
        return;
      case 'provider-switched':
        this.event(e, 'provider-switched', { kind: e.kind, from: e.from, to: e.to, reason: e.reason });
        return;
      case 'call-ended':
        this.callEnded(e);
        return;
      case 'speech-started':
      case 'speech-stopped':
      case 'transcript-interim':
      case 'agent-turn-started':
        // Live-only news (assist feed, dashboard): the turns above keep what matters.
        return;
    }
  }

  private agentTurn(e: CallEventOf<'agent-turn-ended'> | CallEventOf<'agent-turn-interrupted'>): void {
    const latency = this.latency.get(e.turnId) ?? null;
    this.latency.delete(e.turnId);
    const cut = e.type === 'agent-turn-interrupted';
    if (cut && e.reason === 'barge-in') this.event(e, 'barge-in', { atMs: e.endMs, heardMs: e.heardMs });
    // Nothing was said (cut before its first sentence): no turn.
    if (!e.text) return;
    this.turn(e, {
      speaker: 'agent',
      text: e.text,
      startOffsetMs: e.startMs,
      endOffsetMs: e.endMs,
      interrupted: cut,
      heardText: cut ? e.heardText : null,
      latency,
    });
  }

  /** Each step on its own: a failed recording write must not cost the summary or the call's end. */
  private callEnded(e: CallEventOf<'call-ended'>): void {
    const { store } = this.opts;
    if (e.recording) {
      const recording = e.recording;
      this.write('recording', () => store.setRecording(e.callSid, recording));
    }
    this.write('summary', () => store.setSummary(e.callSid, { ...e.summary, outcome: e.outcome }));
    this.event(e, 'stream-stopped', { reason: e.reason });
    this.write('end', () =>
      store.endCall(e.callSid, {
        reason: e.reason,
        transferred: e.outcome === 'transferred',
        at: new Date(e.at),
      }),
    );
  }
}
