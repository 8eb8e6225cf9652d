import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import type { Logger } from '../../http/logger.js';
import { idleTimeout } from '../../http/idle-timeout.js';
import type { Metrics } from '../../http/metrics.js';
import { asStreamSid, type BusinessId, type CallSid, type StreamSid } from '../../ids.js';
import type { EventBus, Subscription } from '../../store/bus/index.js';
import type { CallsRepo, Room } from '../../store/index.js';
import type { CallEvent, MediaTransport } from '../../voice/index.js';
import type { StartedStream, StreamCall } from '../twilio/index.js';
import type { RoomTokens } from './room-token.js';
import {
  CLOSE,
  FRAME_BYTES,
  parseClientMessage,
  serverMessage,
  type ServerMessage,
} from './web-call-protocol.js';

/**
 * GET /room/:name/media?token=...: one browser call. The token (POST /room/join) is checked at
 * once after the upgrade, so the page can read why it was refused from the close code; then the
 * call is written (channel 'web', CallSid from the token), claimed like a Twilio stream (once, by
 * this node) and handed to the same call controller as a phone call, with a transport that speaks
 * web-call-protocol.ts. Bad frames are counted and dropped; only a closed socket or a hang-up
 * ends the call, and its end is written by the controller's call log.
 */
export interface WebCallSocketDeps {
  tokens: Pick<RoomTokens, 'verify'>;
  rooms: { getByName(name: string): Promise<Room | undefined> };
  calls: Pick<CallsRepo, 'create' | 'claimStream'>;
  /** This node: the claim names it, so a crash closes the call as any other. */
  nodeId: string;
  startCall(stream: StartedStream): Promise<StreamCall>;
  /** Captions: the call's transcripts and agent turns, from its events. Absent: no captions. */
  bus?: Pick<EventBus<CallEvent>, 'subscribe'>;
  metrics: Metrics;
  log: Logger;
  /** No frame from the page for this long: the call is dropped. */
  idleTimeoutMs: number;
  /** False while shutting down: new calls are refused (1013). */
  acceptingCalls?: () => boolean;
}

export const WEB_MEDIA_PATH = '/room/:name/media';

export function registerWebCallSocket(app: FastifyInstance, deps: WebCallSocketDeps): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    WEB_MEDIA_PATH,
    {
      websocket: true,
      schema: {
        hide: true,
        params: z.object({ name: z.string().max(64) }),
        querystring: z.object({ token: z.string().max(4096).optional() }),
      },
    },
    (socket, req) => handleWebCallSocket(socket, deps, req.params.name, req.query.token),
  );
}

export function handleWebCallSocket(
  socket: WebSocket,
  deps: WebCallSocketDeps,
  roomName: string,
  token: string | undefined,
): void {
  const { metrics } = deps;
  let log = deps.log;
  let call: StreamCall | undefined;
  let captions: Subscription | undefined;
  let ended = false;
  /** Any message from the page is a sign of life; a page silent this long is closed. */
  const idle = idleTimeout(deps.idleTimeoutMs, () => {
    log.warn({ idleMs: deps.idleTimeoutMs }, 'web call idle; closing');
    send({ type: 'ended', reason: 'idle' });
    close(CLOSE.normal, 'idle');
  });
  /** Frames that arrive while the call is being started wait here, in order (bounded). */
  const pending: { data: Buffer; isBinary: boolean }[] = [];

  metrics.wsConnections.inc({ kind: 'web' });

  const send = (m: ServerMessage) => {
    if (socket.readyState === socket.OPEN) socket.send(serverMessage(m));
  };

  const finish = async (reason: string) => {
    if (ended) return;
    ended = true;
    idle.stop();
    metrics.wsConnections.dec({ kind: 'web' });
    const c = call;
    call = undefined;
    if (c) {
      metrics.activeCalls.dec();
      await c.end(reason).catch((err: unknown) => log.error({ err }, 'error while ending web call'));
    }
    // After the end: the last captions (the call's end) still reach an open page.
    await captions?.unsubscribe().catch(() => undefined);
  };

  const close = (code: number, reason: string) => {
    if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING)
      socket.close(code, reason);
    void finish(reason);
  };

  const refuse = (code: number, reason: string, why: string) => {
    metrics.rejectedWebhooks.inc({ route: 'web-media', reason: why });
    log.warn({ reason: why }, 'web call refused');
    send({ type: 'ended', reason });
    close(code, reason);
  };

  const transport: MediaTransport = {
    sendMedia(frame) {
      if (socket.readyState !== socket.OPEN) return;
      socket.send(frame, { binary: true });
      metrics.framesOut.inc();
    },
    sendMark(name) {
      send({ type: 'mark', name });
    },
    sendClear() {
      send({ type: 'clear' });
    },
  };

  const dispatch = (data: Buffer, isBinary: boolean) => {
    const c = call;
    if (!c) return;
    try {
      if (isBinary) {
        if (data.length !== FRAME_BYTES) {
          metrics.protocolErrors.inc({ reason: 'web-frame-size' });
          return;
        }
        metrics.framesIn.inc();
        c.onAudio(new Uint8Array(data), data.toString('base64'));
        return;
      }
      const parsed = parseClientMessage(data.toString('utf8'));
      if (!parsed.ok) {
        metrics.protocolErrors.inc({ reason: 'malformed' });
        log.warn({ error: parsed.error, bytes: data.length }, 'malformed web-call message ignored');
        return;
      }
      const m = parsed.message;
      if (m.type === 'mark') c.onMarkEcho(m.name);
      else if (m.type === 'dtmf') c.onDtmf(m.digit);
      else {
        send({ type: 'ended', reason: 'caller hung up' });
        close(CLOSE.normal, 'caller hung up');
      }
    } catch (err) {
      // A fault inside the call's handler is that call's problem, not the socket's.
      metrics.protocolErrors.inc({ reason: 'handler-error' });
      log.error({ err }, 'web call handler failed on a frame');
    }
  };

  const subscribeCaptions = async (sid: CallSid) => {
    if (!deps.bus) return;
    captions = await deps.bus.subscribe({ callSid: sid }, (e) => {
      const caption = captionOf(e);
      if (caption) send({ type: 'transcript', ...caption });
    });
  };

  const start = async () => {
    if (deps.acceptingCalls && !deps.acceptingCalls()) {
      refuse(CLOSE.unavailable, 'not taking calls now', 'shutting-down');
      return;
    }
    const verdict = token ? await deps.tokens.verify(token) : { ok: false as const, reason: 'no token' };
    if (!verdict.ok || verdict.claims.room !== roomName) {
      refuse(CLOSE.policy, 'invalid token', verdict.ok ? 'token-for-another-room' : 'bad-token');
      return;
    }
    const claims = verdict.claims;
    const room = await deps.rooms.getByName(roomName);
    if (!room || room.closedAt || room.businessId !== claims.businessId) {
      refuse(CLOSE.noRoom, 'no such room', 'no-room');
      return;
    }
    if (!room.agentEnabled) {
      refuse(CLOSE.noAgent, 'no agent in this room', 'no-agent');
      return;
    }
    if (ended) return;
    const businessId: BusinessId = room.businessId;
    const sid = claims.callSid;
    const streamSid: StreamSid = asStreamSid(`WM${sid.slice(2)}`);
    const { created } = await deps.calls.create({
      callSid: sid,
      businessId,
      from: `web:${claims.identity}`,
      direction: 'inbound',
      channel: 'web',
      status: 'in-progress',
    });
    const claim = created
      ? await deps.calls.claimStream({ callSid: sid, businessId, streamSid, nodeId: deps.nodeId })
      : ({ ok: false, reason: 'token-reused' } as const);
    if (!claim.ok) {
      refuse(CLOSE.policy, 'invalid token', claim.reason);
      return;
    }
    // Claimed: from here the call is started and, if the page already left, ended at once, so
    // its record gets an end either way.
    log = deps.log.child({ callSid: sid, streamSid, room: room.name });
    await subscribeCaptions(sid).catch((err: unknown) => log.warn({ err }, 'no captions for this web call'));
    try {
      call = await deps.startCall({
        callSid: sid,
        streamSid,
        businessId,
        customParameters: { room: room.name, channel: 'web' },
        transport,
        callerId: undefined,
        channel: 'web',
        hangup: () => {
          send({ type: 'ended', reason: 'agent hung up' });
          close(CLOSE.normal, 'agent hung up');
        },
        log,
        record: room.recordingEnabled,
      });
    } catch (err) {
      log.error({ err }, 'web call failed to start');
      refuse(CLOSE.unavailable, 'the call could not start', 'start-failed');
      return;
    }
    metrics.activeCalls.inc();
    if (ended) {
      // The page left while the call started: end it now (finish ran before `call` was set).
      const c = call;
      call = undefined;
      metrics.activeCalls.dec();
      await c.end('closed during start');
      return;
    }
    send({ type: 'ready', callSid: sid });
    for (const p of pending.splice(0)) dispatch(p.data, p.isBinary);
  };

  socket.on('message', (data, isBinary) => {
    idle.touch();
    const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (call) dispatch(buf, isBinary);
    // Before the call is on: keep a second of what the page sends, drop the rest.
    else if (!ended && pending.length < 50) pending.push({ data: buf, isBinary });
  });
  socket.on('error', (err) => log.warn({ err }, 'web call socket error'));
  socket.on('close', () => void finish('socket closed'));

  start().catch((err: unknown) => {
    log.error({ err }, 'web call start failed');
    refuse(CLOSE.unavailable, 'the call could not start', 'start-error');
  });
}

/** A caption from one call event: what the caller said, what the agent said (or was heard of it). */
export function captionOf(e: CallEvent): { speaker: 'caller' | 'agent'; text: string } | undefined {
  if (e.type === 'transcript-final' && e.track === 'inbound' && e.text.trim())
    return { speaker: 'caller', text: e.text };
  if (e.type === 'agent-turn-ended' && e.text.trim()) return { speaker: 'agent', text: e.text };
  if (e.type === 'agent-turn-interrupted' && e.heardText.trim())
    return { speaker: 'agent', text: e.heardText };
  return undefined;
}
