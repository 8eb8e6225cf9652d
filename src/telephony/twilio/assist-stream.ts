import type { WebSocket } from 'ws';
import type { Logger as NodeLogger } from '../../http/logger.js';
import type { Metrics } from '../../http/metrics.js';
import type { BusinessId, CallSid, StreamSid } from '../../ids.js';
import { systemClock, type Clock, type Logger } from '../../shared/index.js';
import type { AssistTokens } from './assist-token.js';
import {
  connectionFailedMessage,
  parseInbound,
  type InboundMessage,
  type MediaTrack,
} from './stream-protocol.js';

/** What an assist stream hands its call to, once it is authenticated and claimed. */
export interface AssistStreamStart {
  callSid: CallSid;
  businessId: BusinessId;
  streamSid: StreamSid;
  /** inbound = the customer, outbound = the business's agent. */
  tracks: Array<'inbound' | 'outbound'>;
  source: 'dial' | 'transfer';
  log: Logger;
}

/** The assist module's side of one stream (it implements this structurally). */
export interface AssistStreamCall {
  /** Every media frame, in arrival order. */
  onAudio(track: 'inbound' | 'outbound', mulaw: Uint8Array): void;
  /** Called once: stop, close, idle, or a refusal after start. */
  end(reason: string): Promise<void>;
}

/**
 * Who opened the stream, as the upgrade proved it: Twilio (signed upgrade; the `start` must
 * carry an assist token), or an external forwarder holding the assist key (seed 000's frames,
 * perhaps with no `start`).
 */
export type AssistPeer = { kind: 'twilio' } | { kind: 'forwarder' };

export interface AssistStreamDeps {
  tokens: AssistTokens;
  /**
   * The call's one assist stream, taken atomically (CallsRepo.claimAssist): refused for an
   * unknown or ended call, another business's call, or one already listened to.
   */
  claimAssist(claim: {
    callSid: CallSid;
    businessId: BusinessId;
  }): Promise<{ ok: true } | { ok: false; reason: string }>;
  /**
   * For a forwarder that names a call but brings no token: the business of that call while it is
   * live ('dial' for a call a person answered, 'transfer' for an AI call moved to one), else
   * undefined.
   */
  businessOfLiveCall(
    callSid: CallSid,
  ): Promise<{ businessId: BusinessId; source: 'dial' | 'transfer' } | undefined>;
  startAssist(start: AssistStreamStart): Promise<AssistStreamCall>;
  metrics: Metrics;
  log: NodeLogger;
  idleTimeoutMs: number;
  /** After the upgrade, the stream must be started (a valid `start`, or a forwarder's first frame) within this. */
  startTimeoutMs: number;
  /** Timers of the start and idle deadlines; default the system clock. */
  clock?: Clock;
}

/** Frames held while a start is checked; a peer that floods meanwhile loses the excess. */
const MAX_PENDING = 1000;
/** Repeated faults are logged the first few times, then every this many. */
const LOG_EVERY = 100;

/** Refusals all read the same, so a probe learns nothing about the call it targets. */
const REFUSED = 'Call ID not found';

/**
 * One listen-only assist stream (both sides of a call): authenticates it, takes the call's one
 * assist claim, and forwards every media frame by track in arrival order. Nothing is sent back
 * but a refusal; nothing a peer sends can close it except `stop`; a failing handler is the
 * assist session's problem, never the stream's.
 */
export function handleAssistStream(socket: WebSocket, deps: AssistStreamDeps, peer: AssistPeer): void {
  const { metrics } = deps;
  const clock = deps.clock ?? systemClock;
  let log: NodeLogger = deps.log.child({ peer: peer.kind });
  let call: AssistStreamCall | undefined;
  let started: { callSid: CallSid; streamSid: StreamSid } | undefined;
  let starting = false;
  let ended = false;
  const pending: InboundMessage[] = [];
  const faults = new Map<string, number>();

  metrics.wsConnections.inc({ kind: 'assist' });

  /** Counts a fault; logs it the first few times and then now and then. */
  const fault = (reason: string, detail: object, msg: string) => {
    metrics.protocolErrors.inc({ reason });
    const n = (faults.get(reason) ?? 0) + 1;
    faults.set(reason, n);
    if (n <= 3 || n % LOG_EVERY === 0) log.warn({ reason, count: n, ...detail }, msg);
  };

  const startTimer = clock.setTimeout(() => {
    if (!call && !starting && !ended) refuse('No start message received in time', 'start-timeout');
  }, deps.startTimeoutMs);

  // One idle timer for the stream's life: a frame only moves `lastFrameAt`; the timer, when it
  // fires early, sleeps for the rest.
  let lastFrameAt = clock.now();
  let idleTimer: unknown;
  const armIdle = (ms: number) => {
    idleTimer = clock.setTimeout(() => {
      if (ended) return;
      const quiet = clock.now() - lastFrameAt;
      if (quiet < deps.idleTimeoutMs) return armIdle(deps.idleTimeoutMs - quiet);
      log.warn({ idleMs: deps.idleTimeoutMs }, 'assist stream idle; closing');
      socket.close(1000, 'idle');
      void finish('idle');
    }, ms);
  };
  armIdle(deps.idleTimeoutMs);

  const finish = async (reason: string) => {
    if (ended) return;
    ended = true;
    clock.clearTimeout(idleTimer);
    clock.clearTimeout(startTimer);
    metrics.wsConnections.dec({ kind: 'assist' });
    const handlerErrors = faults.get('handler-error');
    if (handlerErrors) log.warn({ handlerErrors }, 'assist handler failed on frames of this stream');
    if (call) {
      const c = call;
      call = undefined;
      await endQuietly(c, reason);
    }
  };

  /** A session's end that throws or rejects is logged; it never escapes into the socket's events. */
  const endQuietly = async (c: AssistStreamCall, reason: string) => {
    try {
      await c.end(reason);
    } catch (err) {
      log.error({ err }, 'error while ending assist');
    }
  };

  const refuse = (message: string, reason: string) => {
    if (ended) return;
    metrics.rejectedWebhooks.inc({ route: 'assist-stream', reason });
    log.warn({ reason }, 'assist stream refused');
    if (socket.readyState === socket.OPEN) socket.send(connectionFailedMessage(message));
    socket.close(1008, 'refused');
    void finish('refused');
  };

  const dispatch = (m: InboundMessage) => {
    if (!call || !started || m.event === 'connected') return;
    if (m.streamSid !== started.streamSid) {
      fault('wrong-stream', {}, 'assist frame for another stream ignored');
      return;
    }
    if (m.event === 'media') {
      if (m.callSid && m.callSid !== started.callSid) {
        fault('wrong-call', {}, 'assist frame for another call ignored');
        return;
      }
      try {
        call.onAudio(m.track, m.payload);
      } catch (err) {
        fault('handler-error', { err }, 'assist handler failed on a frame');
      }
      return;
    }
    if (m.event === 'stop') {
      socket.close(1000, 'stopped');
      void finish('stop');
    }
    // connected, dtmf and mark mean nothing to a listen-only stream.
  };

  /** Who the stream is for and why it may listen: a token's claims or, for a forwarder, the live call. */
  const authorize = async (
    callSid: CallSid,
    token: string | undefined,
  ): Promise<{ businessId: BusinessId; source: 'dial' | 'transfer' } | { refused: string }> => {
    if (token !== undefined) {
      const verdict = await deps.tokens.verify(token);
      if (!verdict.ok) return { refused: 'bad-token' };
      if (verdict.claims.callSid !== callSid) return { refused: 'token-for-another-call' };
      return verdict.claims;
    }
    // Only the assist key's holder may name a call without a token.
    if (peer.kind !== 'forwarder') return { refused: 'no-token' };
    return (await deps.businessOfLiveCall(callSid)) ?? { refused: 'no-live-call' };
  };

  const begin = async (s: {
    callSid: CallSid;
    streamSid: StreamSid;
    tracks: MediaTrack[];
    token: string | undefined;
  }) => {
    const who = await authorize(s.callSid, s.token);
    if ('refused' in who) return refuse(REFUSED, who.refused);
    // A peer that left while the token was checked must not take the call's one assist stream.
    if (ended) return;
    const claim = await deps.claimAssist({ callSid: s.callSid, businessId: who.businessId });
    if (!claim.ok) return refuse(REFUSED, claim.reason);
    started = { callSid: s.callSid, streamSid: s.streamSid };
    log = deps.log.child({ callSid: s.callSid, streamSid: s.streamSid, peer: peer.kind });
    let c: AssistStreamCall;
    try {
      c = await deps.startAssist({
        callSid: s.callSid,
        businessId: who.businessId,
        streamSid: s.streamSid,
        tracks: s.tracks,
        source: who.source,
        log,
      });
    } catch (err) {
      log.error({ err }, 'assist failed to start');
      return refuse('Assist could not start', 'start-failed');
    }
    starting = false;
    if (ended) {
      // Claimed and started, but the peer is gone: the session still gets its end.
      await endQuietly(c, 'closed during start');
      return;
    }
    call = c;
    clock.clearTimeout(startTimer);
    log.info({ tracks: s.tracks, source: who.source }, 'assist stream started');
    for (const m of pending.splice(0)) dispatch(m);
  };

  const startWith = (s: Parameters<typeof begin>[0], first?: InboundMessage) => {
    starting = true;
    if (first) pending.push(first);
    begin(s).catch((err: unknown) => {
      log.error({ err }, 'assist stream start failed');
      refuse('Assist could not start', 'start-failed');
    });
  };

  socket.on('message', (data, isBinary) => {
    lastFrameAt = clock.now();
    if (ended) return;
    if (isBinary) {
      fault('binary-frame', {}, 'binary assist frame ignored');
      return;
    }
    const raw = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : data.toString('utf8');
    const parsed = parseInbound(raw);
    if (!parsed.ok) {
      fault('malformed', { error: parsed.error, bytes: raw.length }, 'malformed assist frame ignored');
      return;
    }
    const m = parsed.message;
    if (m.event === 'connected') return;
    if (m.event === 'start') {
      if (call || starting) {
        fault('duplicate-start', {}, 'duplicate assist start ignored');
        return;
      }
      startWith({
        callSid: m.callSid,
        streamSid: m.streamSid,
        tracks: m.tracks,
        token: m.customParameters['token'],
      });
      return;
    }
    if (call) return dispatch(m);
    if (starting) {
      if (pending.length < MAX_PENDING) pending.push(m);
      else fault('start-backlog', {}, 'assist frame dropped while the stream starts');
      return;
    }
    // A forwarder may skip `start`: its first frame that names a call starts the stream.
    if (peer.kind === 'forwarder' && m.event === 'media' && m.callSid) {
      startWith(
        { callSid: m.callSid, streamSid: m.streamSid, tracks: ['inbound', 'outbound'], token: undefined },
        m,
      );
      return;
    }
    if (m.event === 'stop') {
      socket.close(1000, 'stopped');
      void finish('stop');
      return;
    }
    fault('before-start', { event: m.event }, 'assist frame before start ignored');
  });

  socket.on('error', (err) => {
    log.warn({ err }, 'assist stream socket error');
  });
  socket.on('close', () => {
    void finish('socket closed');
  });
}
