import { z } from 'zod';

/**
 * The browser call's wire format on GET /room/:name/media. Audio is binary frames, both ways, of
 * exactly what the pipeline speaks: 160 bytes of G.711 mu-law at 8 kHz (20 ms). Control is JSON
 * text frames. The page (web/call/src/call.ts) speaks the same format; this file is its spec.
 *
 * Client -> server:
 *   {type:'mark', name}     the audio sent before the server's mark of that name has PLAYED
 *   {type:'dtmf', digit}    a key pressed on the page's keypad
 *   {type:'hangup'}         the caller hung up
 * Server -> client:
 *   {type:'ready', callSid} the call is on: audio may flow
 *   {type:'mark', name}     echo it once every frame sent before it has played
 *   {type:'clear'}          drop all queued audio now (barge-in)
 *   {type:'transcript', speaker, text}  captions: what the caller said, what the agent said
 *   {type:'ended', reason}  the call is over; the socket closes after it
 */

/** 20 ms of 8 kHz mu-law: one frame, the only size of audio frame either side sends. */
export const FRAME_BYTES = 160;

/** Close codes the page shows a reason for. */
export const CLOSE = {
  normal: 1000,
  /** Bad, expired or reused token, or a token for another room. */
  policy: 1008,
  /** The room's agent is off: nobody would answer. */
  noAgent: 4003,
  /** The room is unknown or closed. */
  noRoom: 4004,
  /** The server is not taking calls (shutting down) or the call could not start. */
  unavailable: 1013,
} as const;

const markName = z.string().min(1).max(64);

export const clientMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('mark'), name: markName }),
  z.strictObject({ type: z.literal('dtmf'), digit: z.string().regex(/^[0-9*#A-D]$/) }),
  z.strictObject({ type: z.literal('hangup') }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

export type ServerMessage =
  | { type: 'ready'; callSid: string }
  | { type: 'mark'; name: string }
  | { type: 'clear' }
  | { type: 'transcript'; speaker: 'caller' | 'agent'; text: string }
  | { type: 'ended'; reason: string };

/** A text frame from the page, or why it is not one we take (never a throw). */
export function parseClientMessage(
  raw: string,
): { ok: true; message: ClientMessage } | { ok: false; error: string } {
  if (raw.length > 1024) return { ok: false, error: 'message too long' };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  const r = clientMessageSchema.safeParse(json);
  return r.success
    ? { ok: true, message: r.data }
    : { ok: false, error: r.error.issues[0]?.message ?? 'invalid' };
}

export const serverMessage = (m: ServerMessage): string => JSON.stringify(m);
