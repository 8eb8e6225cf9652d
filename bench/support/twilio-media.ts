import WebSocket from 'ws';
import { encodeMulawSample, FRAME_BYTES, FRAME_MS } from '../../src/audio/index.js';
import type { TwilioFrameBuilder } from '../../src/telephony/twilio/index.js';

/**
 * Twilio's side of a media stream for load generators that run hundreds of calls in one process:
 * frames encoded once, media messages built by string, agent audio told apart by its first bytes
 * (the generator must cost far less than what it measures), marks echoed when the audio queued
 * before them would have played, and the outbound jitter each caller hears.
 */

/** A 300 Hz mu-law tone loud enough for any VAD, one 20 ms frame, base64. */
export const TONE_B64 = (() => {
  const b = new Uint8Array(FRAME_BYTES);
  for (let i = 0; i < FRAME_BYTES; i++)
    b[i] = encodeMulawSample(Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / 8000)));
  return Buffer.from(b).toString('base64');
})();
export const SILENCE_B64 = Buffer.from(new Uint8Array(FRAME_BYTES).fill(0xff)).toString('base64');

/** Twilio's media message, as TwilioFrameBuilder.media makes it, from a payload encoded once. */
export function mediaMessage(streamSid: string, seq: number, chunk: number, payloadB64: string): string {
  return `{"event":"media","sequenceNumber":"${seq}","media":{"track":"inbound","chunk":"${chunk}","timestamp":"${(chunk - 1) * FRAME_MS}","payload":"${payloadB64}"},"streamSid":"${streamSid}"}`;
}

/** The agent's audio as one caller received it, for the whole run. */
export interface OutboundFigures {
  /** |gap between media messages - audio the previous one carried|, ms, inside answers past the lead. */
  jitter: number[];
  /** Messages later than their schedule by more than 40 ms. */
  late: number;
  framesIn: number;
  /** Frames each finished, uncleared answer carried (an answer: audio after >= newAnswerGapMs of none). */
  answerFrames: number[];
  marksIn: number;
  marksEchoed: number;
  clears: number;
  /** Server messages that were neither media, mark nor clear, or did not parse. */
  oddMessages: number;
}

export function emptyOutbound(): OutboundFigures {
  return {
    jitter: [],
    late: 0,
    framesIn: 0,
    answerFrames: [],
    marksIn: 0,
    marksEchoed: 0,
    clears: 0,
    oddMessages: 0,
  };
}

/**
 * Reads what the server sends one caller. Jitter counts only past the first `leadMs` of an
 * answer (the playout lead goes out at once by design) and only while `measuring()` says so.
 */
export class OutboundMeter {
  private lastAt = 0;
  private lastFrames = 1;
  private runFrames = 0;
  private answer = 0;
  private cleared = false;
  /** When the audio queued so far ends playing at the caller. */
  private playEnd = 0;
  private readonly pendingMarks = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly ws: WebSocket,
    private readonly frames: TwilioFrameBuilder,
    private readonly into: OutboundFigures,
    private readonly opts: { leadMs: number; newAnswerGapMs: number; measuring: () => boolean },
  ) {}

  onMessage(bytes: Buffer, now = performance.now()): void {
    if (bytes.toString('latin1', 0, 16) === '{"event":"media"') {
      const at = bytes.indexOf('"payload":"') + 11;
      const end = bytes.indexOf(34, at);
      const pad = bytes[end - 1] === 61 ? (bytes[end - 2] === 61 ? 2 : 1) : 0;
      const frames = Math.max(1, Math.round((((end - at) * 3) / 4 - pad) / FRAME_BYTES));
      const gap = now - this.lastAt;
      if (gap > this.opts.newAnswerGapMs) {
        this.closeAnswer();
        this.runFrames = 0;
      } else if (
        (this.runFrames += this.lastFrames) > this.opts.leadMs / FRAME_MS + 1 &&
        this.opts.measuring()
      ) {
        const off = gap - this.lastFrames * FRAME_MS;
        this.into.jitter.push(Math.abs(off));
        if (off > 40) this.into.late++;
      }
      if (this.opts.measuring()) this.into.framesIn += frames;
      this.answer += frames;
      this.lastAt = now;
      this.lastFrames = frames;
      this.playEnd = Math.max(this.playEnd, now) + frames * FRAME_MS;
      return;
    }
    let m: { event?: string; mark?: { name?: string } };
    try {
      m = JSON.parse(bytes.toString()) as typeof m;
    } catch {
      this.into.oddMessages++;
      return;
    }
    if (m.event === 'mark' && typeof m.mark?.name === 'string') {
      this.into.marksIn++;
      const name = m.mark.name;
      const timer = setTimeout(() => this.echo(name), Math.max(0, this.playEnd - now));
      this.pendingMarks.set(name, timer);
    } else if (m.event === 'clear') {
      this.into.clears++;
      this.cleared = true;
      this.playEnd = now;
      for (const [name, timer] of this.pendingMarks) {
        clearTimeout(timer);
        this.echo(name);
      }
    } else this.into.oddMessages++;
  }

  /** The call ends: marks still waiting are dropped; an unfinished answer is not counted. */
  stop(): void {
    for (const t of this.pendingMarks.values()) clearTimeout(t);
    this.pendingMarks.clear();
  }

  private echo(name: string): void {
    this.pendingMarks.delete(name);
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(this.frames.mark(name));
    this.into.marksEchoed++;
  }

  private closeAnswer(): void {
    if (this.answer > 0 && !this.cleared && this.opts.measuring()) this.into.answerFrames.push(this.answer);
    this.answer = 0;
    this.cleared = false;
  }
}

export const pct = (xs: ArrayLike<number>, p: number): number => {
  if (xs.length === 0) return NaN;
  const sorted = Float64Array.from(xs).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};
/** Largest value (a spread of 100k+ figures would overflow the stack). */
export const maxOf = (xs: ArrayLike<number>): number => {
  let m = -Infinity;
  for (let i = 0; i < xs.length; i++) if (xs[i]! > m) m = xs[i]!;
  return m;
};
export const fmt = (n: number, d = 1): string => (Number.isFinite(n) ? n.toFixed(d) : '-');
