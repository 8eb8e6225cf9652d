import type { WebSocket } from 'ws';
import { idleTimeout } from '../../http/idle-timeout.js';
import type { Logger } from '../../http/logger.js';
import type { Metrics } from '../../http/metrics.js';
import { parseE164, type BusinessId, type CallSid, type E164, type StreamSid } from '../../ids.js';
import type { MediaTransport, VoiceChannel } from '../../voice/index.js';
import {
  clearMessage,
  connectionFailedMessage,
  markMessage,
  mediaMessage,
  parseInbound,
  type InboundMessage,
} from './stream-protocol.js';
import type { StreamTokens } from './stream-token.js';

/** What the stream hands a started call to (the voice layer implements it). */
export interface StreamCall {
  /** `payload`: the same audio as Twilio sent it (base64), for an upstream that takes it as is. */
  onAudio(mulaw: Uint8Array, payload: string): void;
  onDtmf(digit: string): void;
  onMarkEcho(name: string): void;
  /** The stream ended (stop, close or error): release everything the call holds. */
  end(reason: string): Promise<void>;
}

export interface StartedStream {
  callSid: CallSid;
  streamSid: StreamSid;
  businessId: BusinessId;
  customParameters: Record<string, string>;
  transport: MediaTransport;
  /** The caller's number from caller ID, when it is a phone number. */
  callerId: E164 | undefined;
  /** End the call: closing a <Connect><Stream> with no verb after it hangs up. */
  hangup(): void;
  /** The line the call is on (phone, WhatsApp calling, a browser); default phone. */
  channel?: VoiceChannel;
  log: Logger;
  /** Keep a recording of the call; absent: yes (a browser call records only if its room says so). */
  record?: boolean;
}

export interface MediaStreamDeps {
  tokens: StreamTokens;
  /**
   * Takes the call for this stream, atomically and once: a token is single-use, and a call that
   * has ended or already has its stream is refused (see CallsRepo.claimStream).
   */
  claimCall(claim: {
    callSid: CallSid;
    businessId: BusinessId;
    streamSid: StreamSid;
  }): Promise<{ ok: true; from: string | null; channel?: VoiceChannel } | { ok: false; reason: string }>;
  startCall(stream: StartedStream): Promise<StreamCall>;
  metrics: Metrics;
  log: Logger;
  idleTimeoutMs: number;
  /** After the upgrade, a valid `start` must come within this long (a stalled peer holds nothing). */
  startTimeoutMs: number;
}

/**
 * One Twilio media stream: validates every frame, attaches the stream to its call on `start`,
 * and forwards audio, DTMF and mark echoes in arrival order. Nothing a peer sends can throw
 * out of here: bad frames are logged and counted, and the call goes on.
 */
export function handleMediaStream(socket: WebSocket, deps: MediaStreamDeps, pathCallSid?: string): void {
  const { metrics } = deps;
  let log = deps.log;
  let call: StreamCall | undefined;
  let streamSid: StreamSid | undefined;
  let starting = false;
  /** Messages that arrive while `start` is being checked wait here, in order. */
  const pendingWhileStarting: InboundMessage[] = [];
  let ended = false;

  metrics.wsConnections.inc({ kind: 'twilio' });
  // Idle frames do not count: only a `start` that is being checked or has started a call stops it.
  const startTimer = setTimeout(() => {
    if (!call && !starting && !ended) refuse('No start message received in time', 'start-timeout');
  }, deps.startTimeoutMs);

  // Every frame (50 a second per call) restarts it.
  const idle = idleTimeout(deps.idleTimeoutMs, () => {
    log.warn({ idleMs: deps.idleTimeoutMs }, 'media stream idle; closing');
    socket.close(1000, 'idle');
  });

  const finish = async (reason: string) => {
    if (ended) return;
    ended = true;
    idle.stop();
    clearTimeout(startTimer);
    metrics.wsConnections.dec({ kind: 'twilio' });
    if (call) {
      metrics.activeCalls.dec();
      const c = call;
      call = undefined;
      await c.end(reason).catch((err: unknown) => log.error({ err }, 'error while ending call'));
    }
  };

  const refuse = (message: string, reason: string = message) => {
    if (ended) return;
    metrics.rejectedWebhooks.inc({ route: 'stream', reason });
    log.warn({ reason }, 'media stream refused');
    if (socket.readyState === socket.OPEN) socket.send(connectionFailedMessage(message));
    socket.close(1008, 'refused');
    void finish('refused');
  };

  const transport: MediaTransport = {
    sendMedia(frame) {
      if (!streamSid || socket.readyState !== socket.OPEN) return;
      socket.send(mediaMessage(streamSid, frame));
      metrics.framesOut.inc();
    },
    sendMark(name) {
      if (streamSid && socket.readyState === socket.OPEN) socket.send(markMessage(streamSid, name));
    },
    sendClear() {
      if (streamSid && socket.readyState === socket.OPEN) socket.send(clearMessage(streamSid));
    },
  };

  const dispatch = (m: InboundMessage) => {
    if (!call) return;
    try {
      switch (m.event) {
        case 'media':
          metrics.framesIn.inc();
          if (m.track === 'inbound') call.onAudio(m.payload, m.payloadBase64);
          break;
        case 'dtmf':
          call.onDtmf(m.digit);
          break;
        case 'mark':
          call.onMarkEcho(m.name);
          break;
        case 'stop':
          socket.close(1000, 'stopped');
          void finish('stop');
          break;
        default:
          break;
      }
    } catch (err) {
      // A fault inside one call's handler is that call's problem, not the stream's.
      metrics.protocolErrors.inc({ reason: 'handler-error' });
      log.error({ err, event: m.event }, 'call handler failed on a message');
    }
  };

  const start = async (m: Extract<InboundMessage, { event: 'start' }>) => {
    starting = true;
    const token = m.customParameters['token'];
    const verdict = token ? await deps.tokens.verify(token) : { ok: false as const, reason: 'no token' };
    if (!verdict.ok || verdict.claims.callSid !== m.callSid || (pathCallSid && pathCallSid !== m.callSid)) {
      refuse('Call ID not found', verdict.ok ? 'token-for-another-call' : 'bad-token');
      return;
    }
    // A peer that left while the token was checked must not take the call's one stream.
    if (ended) return;
    const claim = await deps.claimCall({
      callSid: m.callSid,
      businessId: verdict.claims.businessId,
      streamSid: m.streamSid,
    });
    if (!claim.ok) {
      // Same answer as an unknown call: a replay learns nothing about the call it targets.
      refuse('Call ID not found', claim.reason);
      return;
    }
    // Claimed: from here the call is started and, if the peer already left, ended at once, so
    // its record gets an end either way.
    const known = { from: claim.from };
    streamSid = m.streamSid;
    log = deps.log.child({ callSid: m.callSid, streamSid: m.streamSid });
    try {
      call = await deps.startCall({
        callSid: m.callSid,
        streamSid: m.streamSid,
        businessId: verdict.claims.businessId,
        customParameters: m.customParameters,
        transport,
        callerId: known.from ? parseE164(known.from.replace(/^whatsapp:/, '')) : undefined,
        ...(claim.channel ? { channel: claim.channel } : {}),
        hangup: () => socket.close(1000, 'agent hung up'),
        log,
      });
    } catch (err) {
      log.error({ err }, 'call failed to start');
      refuse('Call could not start');
      return;
    }
    starting = false;
    if (ended) {
      const c = call;
      call = undefined;
      await c.end('closed during start');
      return;
    }
    metrics.activeCalls.inc();
    clearTimeout(startTimer);
    for (const p of pendingWhileStarting.splice(0)) dispatch(p);
  };

  socket.on('message', (data, isBinary) => {
    idle.touch();
    if (isBinary) {
      metrics.protocolErrors.inc({ reason: 'binary-frame' });
      log.warn('binary frame ignored');
      return;
    }
    const raw = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : data.toString('utf8');
    const parsed = parseInbound(raw);
    if (!parsed.ok) {
      metrics.protocolErrors.inc({ reason: 'malformed' });
      log.warn({ error: parsed.error, bytes: raw.length }, 'malformed media-stream message ignored');
      return;
    }
    const m = parsed.message;
    if (m.event === 'connected') return;
    if (m.event === 'start') {
      if (call || starting) {
        metrics.protocolErrors.inc({ reason: 'duplicate-start' });
        log.warn('duplicate start ignored');
        return;
      }
      start(m).catch((err: unknown) => {
        log.error({ err }, 'stream start failed');
        refuse('Call could not start');
      });
      return;
    }
    if (streamSid && m.streamSid !== streamSid) {
      metrics.protocolErrors.inc({ reason: 'wrong-stream' });
      log.warn('message for another stream ignored');
      return;
    }
    if (starting) pendingWhileStarting.push(m);
    else if (call) dispatch(m);
    else {
      metrics.protocolErrors.inc({ reason: 'before-start' });
      log.warn({ event: m.event }, 'message before start ignored');
    }
  });

  socket.on('error', (err) => {
    log.warn({ err }, 'media stream socket error');
  });
  socket.on('close', () => {
    void finish('socket closed');
  });
}
