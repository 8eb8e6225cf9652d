import { z } from 'zod';
import type { CallSid, StreamSid } from '../../ids.js';

/**
 * Twilio Media Streams wire format, both directions, and nothing else.
 * Twilio sends numeric-looking fields as strings; SIDs are not validated strictly
 * because real streams have carried UUID-shaped stream SIDs (PROTOCOLS.md 1.3).
 */

const numericString = z.string().regex(/^\d+$/, 'must be a string of digits');

const ConnectedSchema = z.object({
  event: z.literal('connected'),
  protocol: z.string(),
  version: z.string(),
});

const StartSchema = z.object({
  event: z.literal('start'),
  sequenceNumber: numericString,
  streamSid: z.string().min(1),
  start: z.object({
    accountSid: z.string().min(1),
    streamSid: z.string().min(1),
    callSid: z.string().min(1),
    tracks: z.array(z.enum(['inbound', 'outbound'])),
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
  streamSid: z.string().min(1),
  media: z.object({
    track: z.enum(['inbound', 'outbound']),
    chunk: numericString,
    timestamp: numericString,
    payload: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64'),
  }),
});

const DtmfSchema = z.object({
  event: z.literal('dtmf'),
  sequenceNumber: numericString,
  streamSid: z.string().min(1),
  dtmf: z.object({
    track: z.string(),
    digit: z.string().regex(/^[0-9*#A-D]$/, 'must be one DTMF key'),
  }),
});

const MarkSchema = z.object({
  event: z.literal('mark'),
  sequenceNumber: numericString,
  streamSid: z.string().min(1),
  mark: z.object({ name: z.string() }),
});

const StopSchema = z.object({
  event: z.literal('stop'),
  sequenceNumber: numericString,
  streamSid: z.string().min(1),
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
      tracks: Array<'inbound' | 'outbound'>;
      mediaFormat: { encoding: string; sampleRate: number; channels: number };
      customParameters: Record<string, string>;
    }
  | {
      event: 'media';
      sequenceNumber: number;
      streamSid: StreamSid;
      track: 'inbound' | 'outbound';
      chunk: number;
      timestamp: number;
      /** Raw mu-law bytes, 8 kHz mono. */
      payload: Uint8Array;
      /** The same audio as Twilio sent it (base64): passed to a Realtime upstream unchanged. */
      payloadBase64: string;
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
  const r = InboundSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue?.path.join('.') || 'message';
    return { ok: false, error: `${where}: ${issue?.message ?? 'invalid'}` };
  }
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

/**
 * Twilio's side of the wire, as documented: the simulator and tests build inbound frames here
 * so the shapes live in this one file. One sequence counter is shared by every message type.
 */
export class TwilioFrameBuilder {
  private seq = 0;
  private chunk = 0;

  constructor(
    readonly accountSid: string,
    readonly callSid: string,
    readonly streamSid: string,
  ) {}

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
        tracks: ['inbound'],
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        customParameters,
      },
      streamSid: this.streamSid,
    });
  }

  media(mulaw: Uint8Array, timestampMs: number): string {
    return JSON.stringify({
      event: 'media',
      sequenceNumber: String(++this.seq),
      media: {
        track: 'inbound',
        chunk: String(++this.chunk),
        timestamp: String(Math.round(timestampMs)),
        payload: Buffer.from(mulaw.buffer, mulaw.byteOffset, mulaw.byteLength).toString('base64'),
      },
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
