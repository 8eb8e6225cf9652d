import { z } from 'zod';
import type { CallSid, StreamSid } from '../../ids.js';

/**
 * Twilio Media Streams wire format, both directions, and nothing else.
 * Twilio sends numeric-looking fields as strings; SIDs are not validated strictly
 * because real streams have carried UUID-shaped stream SIDs (PROTOCOLS.md 1.3).
 * Also read: seed 000's media frame (an assist forwarder's shape): top-level `callSid` and
 * `accountSid`, an ISO-8601 `media.timestamp`, and a `media.chunk` that may be any string.
 */

const numericString = z.string().regex(/^\d+$/, 'must be a string of digits');
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const track = z.enum(['inbound', 'outbound']);
export type MediaTrack = z.infer<typeof track>;

/** Twilio's ids (MZ…, CA…, AC…): letters and digits; anything else is not Twilio and is stored nowhere. */
const twilioSid = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a Twilio id');

const ConnectedSchema = z.object({
  event: z.literal('connected'),
  protocol: z.string(),
  version: z.string(),
});

const StartSchema = z.object({
  event: z.literal('start'),
  sequenceNumber: numericString,
  streamSid: twilioSid,
  start: z.object({
    accountSid: twilioSid,
    streamSid: twilioSid,
    callSid: twilioSid,
    tracks: z.array(track),
    mediaFormat: z.object({
      encoding: z.string(),
      sampleRate: z.number().int().positive(),
      channels: z.number().int().positive(),
    }),
    customParameters: z.record(z.string(), z.string()).default({}),
  }),
});

const MediaSchema = z.object({
  event: z.literal('media'),
  sequenceNumber: numericString,
  streamSid: twilioSid,
  media: z.object({
    track,
    chunk: numericString,
    timestamp: numericString,
    payload: base64,
  }),
});

/** Seed 000's media frame: Twilio's, plus the call at top level and a wall-clock timestamp. */
const Seed000MediaSchema = z.object({
  event: z.literal('media'),
  sequenceNumber: numericString,
  streamSid: twilioSid,
  accountSid: z.string().min(1).optional(),
  callSid: twilioSid,
  media: z.object({
    track,
    chunk: z.string(),
    timestamp: z.union([numericString, z.iso.datetime({ offset: true })], {
      error: 'must be a string of digits or an ISO-8601 time',
    }),
    payload: base64,
  }),
});

/** A forwarder's stop may name the call at top level instead of in a `stop` object. */
const Seed000StopSchema = z.object({
  event: z.literal('stop'),
  sequenceNumber: numericString,
  streamSid: twilioSid,
  callSid: twilioSid,
});

const DtmfSchema = z.object({
  event: z.literal('dtmf'),
  sequenceNumber: numericString,
  streamSid: twilioSid,
  dtmf: z.object({
    track: z.string(),
    digit: z.string().regex(/^[0-9*#A-D]$/, 'must be one DTMF key'),
  }),
});

const MarkSchema = z.object({
  event: z.literal('mark'),
  sequenceNumber: numericString,
  streamSid: twilioSid,
  mark: z.object({ name: z.string() }),
});

const StopSchema = z.object({
  event: z.literal('stop'),
  sequenceNumber: numericString,
  streamSid: twilioSid,
  stop: z.object({ accountSid: z.string(), callSid: z.string() }),
});

const InboundSchema = z.discriminatedUnion('event', [
  ConnectedSchema,
  StartSchema,
  MediaSchema,
  DtmfSchema,
  MarkSchema,
  StopSchema,
]);

/** A validated message from Twilio, with its fields typed for the pipeline. */
export type InboundMessage =
  | { event: 'connected'; protocol: string; version: string }
  | {
      event: 'start';
      sequenceNumber: number;
      streamSid: StreamSid;
      callSid: CallSid;
      accountSid: string;
      tracks: MediaTrack[];
      mediaFormat: { encoding: string; sampleRate: number; channels: number };
      customParameters: Record<string, string>;
    }
  | {
      event: 'media';
      sequenceNumber: number;
      streamSid: StreamSid;
      track: MediaTrack;
      /** Twilio's chunk counter; undefined when a seed-000 frame's chunk is not a number. */
      chunk: number | undefined;
      /**
       * 'stream': ms since the stream started (Twilio's); 'epoch': epoch ms of a seed-000 frame's
       * ISO-8601 time.
       */
      timestamp: number;
      timestampBase: 'stream' | 'epoch';
      /** Raw mu-law bytes, 8 kHz mono. */
      payload: Uint8Array;
      /** The same audio as Twilio sent it (base64): passed to a Realtime upstream unchanged. */
      payloadBase64: string;
      /** The call, when the frame names it (seed 000's shape does; Twilio's does not). */
      callSid?: CallSid;
    }
  | { event: 'dtmf'; sequenceNumber: number; streamSid: StreamSid; digit: string }
  | { event: 'mark'; sequenceNumber: number; streamSid: StreamSid; name: string }
  | { event: 'stop'; sequenceNumber: number; streamSid: StreamSid; callSid: CallSid };

export type ParseResult = { ok: true; message: InboundMessage } | { ok: false; error: string };

/** Parses one text frame from Twilio. Never throws: bad input comes back as an error string. */
export function parseInbound(raw: string): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  const seed = parseSeed000(json);
  if (seed) return seed;
  const r = InboundSchema.safeParse(json);
  if (!r.success) return { ok: false, error: firstIssue(r.error) };
  const m = r.data;
  switch (m.event) {
    case 'connected':
      return { ok: true, message: m };
    case 'start':
      return {
        ok: true,
        message: {
          event: 'start',
          sequenceNumber: Number(m.sequenceNumber),
          streamSid: m.streamSid as StreamSid,
          callSid: m.start.callSid as CallSid,
          accountSid: m.start.accountSid,
          tracks: m.start.tracks,
          mediaFormat: m.start.mediaFormat,
          customParameters: m.start.customParameters,
        },
      };
    case 'media':
      return {
        ok: true,
        message: {
          event: 'media',
          sequenceNumber: Number(m.sequenceNumber),
          streamSid: m.streamSid as StreamSid,
          track: m.media.track,
          chunk: Number(m.media.chunk),
          timestamp: Number(m.media.timestamp),
          timestampBase: 'stream',
          payload: new Uint8Array(Buffer.from(m.media.payload, 'base64')),
          payloadBase64: m.media.payload,
        },
      };
    case 'dtmf':
      return {
        ok: true,
        message: {
          event: 'dtmf',
          sequenceNumber: Number(m.sequenceNumber),
          streamSid: m.streamSid as StreamSid,
          digit: m.dtmf.digit,
        },
      };
    case 'mark':
      return {
        ok: true,
        message: {
          event: 'mark',
          sequenceNumber: Number(m.sequenceNumber),
          streamSid: m.streamSid as StreamSid,
          name: m.mark.name,
        },
      };
    case 'stop':
      return {
        ok: true,
        message: {
          event: 'stop',
          sequenceNumber: Number(m.sequenceNumber),
          streamSid: m.streamSid as StreamSid,
          callSid: m.stop.callSid as CallSid,
        },
      };
  }
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue?.path.join('.') || 'message';
  return `${where}: ${issue?.message ?? 'invalid'}`;
}

/**
 * A media or stop frame with the call at top level is seed 000's shape (Twilio never puts
 * `callSid` there); anything else is left to Twilio's schemas (undefined).
 */
function parseSeed000(json: unknown): ParseResult | undefined {
  if (typeof json !== 'object' || json === null || !('callSid' in json) || !('event' in json)) return;
  if (json.event === 'media') {
    const r = Seed000MediaSchema.safeParse(json);
    if (!r.success) return { ok: false, error: firstIssue(r.error) };
    const m = r.data;
    const numeric = /^\d+$/.test(m.media.timestamp);
    return {
      ok: true,
      message: {
        event: 'media',
        sequenceNumber: Number(m.sequenceNumber),
        streamSid: m.streamSid as StreamSid,
        track: m.media.track,
        chunk: /^\d+$/.test(m.media.chunk) ? Number(m.media.chunk) : undefined,
        timestamp: numeric ? Number(m.media.timestamp) : Date.parse(m.media.timestamp),
        timestampBase: numeric ? 'stream' : 'epoch',
        payload: new Uint8Array(Buffer.from(m.media.payload, 'base64')),
        payloadBase64: m.media.payload,
        callSid: m.callSid as CallSid,
      },
    };
  }
  if (json.event === 'stop' && !('stop' in json)) {
    const r = Seed000StopSchema.safeParse(json);
    if (!r.success) return { ok: false, error: firstIssue(r.error) };
    return {
      ok: true,
      message: {
        event: 'stop',
        sequenceNumber: Number(r.data.sequenceNumber),
        streamSid: r.data.streamSid as StreamSid,
        callSid: r.data.callSid as CallSid,
      },
    };
  }
  return undefined;
}

// ---- what we send to Twilio (bidirectional streams only) ----

export function mediaMessage(streamSid: StreamSid, mulaw: Uint8Array): string {
  return JSON.stringify({
    event: 'media',
    streamSid,
    media: { payload: Buffer.from(mulaw.buffer, mulaw.byteOffset, mulaw.byteLength).toString('base64') },
  });
}

export function markMessage(streamSid: StreamSid, name: string): string {
  return JSON.stringify({ event: 'mark', streamSid, mark: { name } });
}

export function clearMessage(streamSid: StreamSid): string {
  return JSON.stringify({ event: 'clear', streamSid });
}

/** The JSON error a stream gets before it is closed when its call cannot be found. */
export function connectionFailedMessage(message: string): string {
  return JSON.stringify({ error: 'Connection failed', message });
}

const OutboundSchema = z.discriminatedUnion('event', [
  z.object({
    event: z.literal('media'),
    streamSid: z.string(),
    media: z.object({ payload: z.string() }),
  }),
  z.object({ event: z.literal('mark'), streamSid: z.string(), mark: z.object({ name: z.string() }) }),
  z.object({ event: z.literal('clear'), streamSid: z.string() }),
]);

export type OutboundMessage =
  | { event: 'media'; streamSid: string; payload: Uint8Array }
  | { event: 'mark'; streamSid: string; name: string }
  | { event: 'clear'; streamSid: string };

/** Parses what a server sends to Twilio: the simulator plays Twilio's side with it. */
export function parseOutbound(
  raw: string,
): { ok: true; message: OutboundMessage } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  const r = OutboundSchema.safeParse(json);
  if (!r.success) return { ok: false, error: r.error.issues[0]?.message ?? 'invalid' };
  const m = r.data;
  if (m.event === 'media') {
    return {
      ok: true,
      message: {
        event: 'media',
        streamSid: m.streamSid,
        payload: new Uint8Array(Buffer.from(m.media.payload, 'base64')),
      },
    };
  }
  if (m.event === 'mark')
    return { ok: true, message: { event: 'mark', streamSid: m.streamSid, name: m.mark.name } };
  return { ok: true, message: m };
}

/** How a simulated stream looks: which tracks it carries, and whose media frame shape. */
export interface FrameBuilderOptions {
  /** The `start` message's tracks; default ['inbound'] (a `<Connect><Stream>`). */
  tracks?: MediaTrack[];
  /** Media frames in seed 000's shape (top-level callSid/accountSid, ISO-8601 timestamps). */
  seed000?: boolean;
  /** Epoch ms the seed-000 timestamps count from (default 2023-01-01T00:00:00Z, as the seed shows). */
  startedAtMs?: number;
}

/**
 * Twilio's side of the wire, as documented: the simulator and tests build inbound frames here
 * so the shapes live in this one file. One sequence counter is shared by every message type;
 * each track counts its own chunks.
 */
export class TwilioFrameBuilder {
  private seq = 0;
  private readonly chunks = { inbound: 0, outbound: 0 };
  private readonly tracks: MediaTrack[];
  private readonly seed000: boolean;
  private readonly startedAtMs: number;

  constructor(
    readonly accountSid: string,
    readonly callSid: string,
    readonly streamSid: string,
    options: FrameBuilderOptions = {},
  ) {
    this.tracks = options.tracks ?? ['inbound'];
    this.seed000 = options.seed000 ?? false;
    this.startedAtMs = options.startedAtMs ?? Date.UTC(2023, 0, 1);
  }

  connected(): string {
    return JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' });
  }

  start(customParameters: Record<string, string>): string {
    this.seq = 1;
    return JSON.stringify({
      event: 'start',
      sequenceNumber: String(this.seq),
      start: {
        accountSid: this.accountSid,
        streamSid: this.streamSid,
        callSid: this.callSid,
        tracks: this.tracks,
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        customParameters,
      },
      streamSid: this.streamSid,
    });
  }

  media(mulaw: Uint8Array, timestampMs: number, track: MediaTrack = 'inbound'): string {
    const payload = Buffer.from(mulaw.buffer, mulaw.byteOffset, mulaw.byteLength).toString('base64');
    const chunk = String(++this.chunks[track]);
    if (this.seed000) {
      return JSON.stringify({
        event: 'media',
        sequenceNumber: String(++this.seq),
        media: {
          track,
          chunk,
          timestamp: new Date(this.startedAtMs + Math.round(timestampMs)).toISOString(),
          payload,
        },
        streamSid: this.streamSid,
        accountSid: this.accountSid,
        callSid: this.callSid,
      });
    }
    return JSON.stringify({
      event: 'media',
      sequenceNumber: String(++this.seq),
      media: { track, chunk, timestamp: String(Math.round(timestampMs)), payload },
      streamSid: this.streamSid,
    });
  }

  dtmf(digit: string): string {
    return JSON.stringify({
      event: 'dtmf',
      streamSid: this.streamSid,
      sequenceNumber: String(++this.seq),
      dtmf: { track: 'inbound_track', digit },
    });
  }

  mark(name: string): string {
    return JSON.stringify({
      event: 'mark',
      sequenceNumber: String(++this.seq),
      streamSid: this.streamSid,
      mark: { name },
    });
  }

  stop(): string {
    return JSON.stringify({
      event: 'stop',
      sequenceNumber: String(++this.seq),
      stop: { accountSid: this.accountSid, callSid: this.callSid },
      streamSid: this.streamSid,
    });
  }
}
