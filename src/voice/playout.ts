/**
 * Agent audio on its way to the caller: 20 ms mu-law frames sent ahead of real time by a
 * capped lead, a mark after each segment, and an estimate of what the caller has heard.
 *
 * Heard position = the audio position of the last echoed mark plus the time since its echo,
 * never more than what was sent (DESIGN.md "What the caller heard"). A `clear` makes Twilio echo
 * every pending mark at once, so marks pending at a clear are remembered and their echoes ignored.
 *
 * A pause is a clear that keeps what was not heard: the sent frames the caller had not heard yet
 * go back to the front of the queue at the same positions, so marks and the heard estimate stay
 * valid, and resume() plays them again (a false interruption: the caller only said "uh-huh").
 */

import { FRAME_BYTES, FRAME_MS, MULAW_SILENCE as SILENCE, decodeMulawSample } from '../audio/index.js';
import { monotonicClock, type Clock } from '../shared/index.js';

/** The wire the playout writes to: one implementation per telephony transport. */
export interface MediaTransport {
  sendMedia(frame: Uint8Array): void;
  sendMark(name: string): void;
  sendClear(): void;
}

export type MarkOutcome = 'played' | 'cleared';

interface PendingMark {
  name: string;
  /** Audio position (ms of audio sent before this mark). */
  position: number;
  settle: (o: MarkOutcome) => void;
}

type QueueItem = { kind: 'frame'; bytes: Uint8Array } | { kind: 'mark'; mark: PendingMark };

/** A resumed answer may start this much before where it was heard, at a gap between words. */
export const RESUME_REWIND_MS = 300;
/** A frame this quiet (RMS, full scale 32768) is a gap between words. */
const QUIET_RMS = 400;

export interface PlayoutEvents {
  /** The first frame of audio queued after idle has left for the caller. */
  onFirstFrameSent?(atMs: number): void;
  onFrameSent?(): void;
}

export class Playout {
  private readonly queue: QueueItem[] = [];
  private partial = new Uint8Array(FRAME_BYTES);
  private partialLen = 0;
  /** ms of audio handed to the transport since the stream began. */
  private sentPosition = 0;
  /** Playback anchor: at clock time `at`, playback was at audio position `pos`. */
  private anchor = { pos: 0, at: 0 };
  private readonly sentMarks = new Map<string, PendingMark>();
  private readonly clearedMarks = new Set<string>();
  private timer: unknown = undefined;
  private markSeq = 0;
  private closed = false;
  private awaitingFirstFrame = false;
  /** Frames sent, with their positions, while the caller may not have heard them yet. */
  private readonly history: Array<{ pos: number; bytes: Uint8Array }> = [];
  /** While paused: where the caller had heard up to when the pause came. */
  private pausedHeard: number | undefined;

  constructor(
    private readonly transport: MediaTransport,
    private readonly opts: { leadMs: number; clock?: Clock; events?: PlayoutEvents },
  ) {}

  private get clock(): Clock {
    return this.opts.clock ?? monotonicClock;
  }

  /** Audio position the caller has heard up to now (ms on the sent-audio timeline). */
  heardPosition(): number {
    const elapsed = Math.max(0, this.clock.now() - this.anchor.at);
    return Math.min(this.sentPosition, this.anchor.pos + elapsed);
  }

  /** Audio position of everything queued so far, sent or not. */
  queuedPosition(): number {
    let frames = 0;
    for (const item of this.queue) if (item.kind === 'frame') frames++;
    return this.sentPosition + frames * FRAME_MS + (this.partialLen > 0 ? (this.partialLen / 8) | 0 : 0);
  }

  /** ms of audio sent but (by the estimate) not yet heard. */
  bufferedMs(): number {
    return this.sentPosition - this.heardPosition();
  }

  /** True while audio is queued or still playing at the caller's end (not while paused). */
  isPlaying(): boolean {
    if (this.pausedHeard !== undefined) return false;
    return this.queue.length > 0 || this.partialLen > 0 || this.bufferedMs() > 0;
  }

  /** Paused: the caller hears nothing, the unheard audio waits for resume() or clear(). */
  get paused(): boolean {
    return this.pausedHeard !== undefined;
  }

  /**
   * Stops the audio at the caller's end now (Twilio clear) but keeps what was not heard, to play
   * on resume(). Playback will pick up at the start of the frame being heard, or a little before
   * it at a gap between words (within RESUME_REWIND_MS, never before `notBefore`: the start of
   * the utterance), so a resumed word is heard whole. Returns the position playback picks up
   * from. Writes while paused are queued.
   */
  pause(notBefore = -Infinity): number {
    if (this.closed || this.pausedHeard !== undefined) return this.sentPosition;
    const heard = this.heardPosition();
    const h = this.history;
    let from = h.findIndex((f) => f.pos + FRAME_MS > heard);
    if (from === -1) from = h.length;
    const earliest = Math.max(notBefore, heard - RESUME_REWIND_MS);
    for (let i = Math.min(from, h.length - 1); i >= 0 && h[i]!.pos >= earliest; i--) {
      if (isQuiet(h[i]!.bytes)) {
        from = i;
        break;
      }
    }
    const resumeAt = h[from]?.pos ?? Math.min(heard, this.sentPosition);
    const items: Array<{ pos: number; item: QueueItem }> = h
      .slice(from)
      .map((f) => ({ pos: f.pos, item: { kind: 'frame', bytes: f.bytes } }));
    for (const [name, m] of this.sentMarks) {
      // Twilio echoes every mark it holds on the clear: those echoes prove nothing.
      this.clearedMarks.add(name);
      if (m.position <= resumeAt) {
        m.settle('played');
        continue;
      }
      m.name = `${name.replace(/#\d+$/, '')}#${++this.markSeq}`;
      // A mark at position p goes after the audio before p: before a frame that starts at p.
      items.push({ pos: m.position - 0.5, item: { kind: 'mark', mark: m } });
    }
    this.sentMarks.clear();
    items.sort((a, b) => a.pos - b.pos);
    this.queue.unshift(...items.map((i) => i.item));
    h.length = from;
    const hadSomething = this.sentPosition > heard || items.length > 0;
    if (hadSomething) this.transport.sendClear();
    this.sentPosition = resumeAt;
    this.anchor = { pos: resumeAt, at: this.clock.now() };
    this.pausedHeard = heard;
    this.stopTimer();
    return resumeAt;
  }

  /** After a pause: the kept audio plays on from where the pause left it. */
  resume(): void {
    if (this.pausedHeard === undefined) return;
    this.pausedHeard = undefined;
    if (this.closed) return;
    this.anchor = { pos: this.sentPosition, at: this.clock.now() };
    this.pump();
  }

  /** The mu-law audio queued and not yet sent (what a resume will play), in order. */
  pendingAudio(): Uint8Array {
    const frames = this.queue.filter((i): i is Extract<QueueItem, { kind: 'frame' }> => i.kind === 'frame');
    const out = new Uint8Array(frames.length * FRAME_BYTES + this.partialLen);
    frames.forEach((f, i) => out.set(f.bytes, i * FRAME_BYTES));
    out.set(this.partial.subarray(0, this.partialLen), frames.length * FRAME_BYTES);
    return out;
  }

  /** Queue mu-law bytes of any length; whole frames leave as the lead allows. */
  write(mulaw: Uint8Array): void {
    if (this.closed) return;
    let i = 0;
    while (i < mulaw.length) {
      const n = Math.min(FRAME_BYTES - this.partialLen, mulaw.length - i);
      this.partial.set(mulaw.subarray(i, i + n), this.partialLen);
      this.partialLen += n;
      i += n;
      if (this.partialLen === FRAME_BYTES) {
        this.queue.push({ kind: 'frame', bytes: this.partial });
        this.partial = new Uint8Array(FRAME_BYTES);
        this.partialLen = 0;
      }
    }
    this.pump();
  }

  /**
   * Close the current segment with a mark (pads a partial frame with silence first, unless
   * `pad: false`: then the mark goes after the last whole frame, for progress marks inside a
   * sentence). The
   * returned promise settles 'played' when Twilio echoes the mark after playing the audio before
   * it, or 'cleared' if a clear flushed it first.
   */
  mark(
    label: string,
    opts: { pad?: boolean } = {},
  ): { name: string; position: number; outcome: Promise<MarkOutcome> } {
    if (opts.pad !== false && this.partialLen > 0) {
      this.partial.fill(SILENCE, this.partialLen);
      this.queue.push({ kind: 'frame', bytes: this.partial });
      this.partial = new Uint8Array(FRAME_BYTES);
      this.partialLen = 0;
    }
    const name = `${label}#${++this.markSeq}`;
    const position = this.sentPosition + this.queue.filter((i) => i.kind === 'frame').length * FRAME_MS;
    let settle!: (o: MarkOutcome) => void;
    const outcome = new Promise<MarkOutcome>((resolve) => (settle = resolve));
    const mark: PendingMark = { name, position, settle };
    if (this.closed) settle('cleared');
    else this.queue.push({ kind: 'mark', mark });
    this.pump();
    return { name, position, outcome };
  }

  /** Twilio echoed a mark. Echoes of cleared marks prove nothing and are ignored. */
  onMarkEcho(name: string): void {
    if (this.clearedMarks.delete(name)) return;
    const mark = this.sentMarks.get(name);
    if (!mark) return;
    this.sentMarks.delete(name);
    // Marks echo in order; any earlier mark still pending has played too.
    for (const [n, m] of this.sentMarks) {
      if (m.position <= mark.position) {
        this.sentMarks.delete(n);
        m.settle('played');
      }
    }
    this.anchor = { pos: mark.position, at: this.clock.now() };
    mark.settle('played');
    this.pump();
  }

  /**
   * Barge-in: drop unsent audio, tell Twilio to flush its buffer, and return the audio
   * position the caller had heard when the flush happened.
   */
  clear(): number {
    const paused = this.pausedHeard;
    this.pausedHeard = undefined;
    const heard = paused ?? this.heardPosition();
    // While paused nothing was sent since the pause's own clear.
    const hadSomething =
      paused === undefined && (this.sentPosition > heard || this.queue.length > 0 || this.partialLen > 0);
    for (const item of this.queue) if (item.kind === 'mark') item.mark.settle('cleared');
    this.queue.length = 0;
    this.partialLen = 0;
    for (const [name, m] of this.sentMarks) {
      this.clearedMarks.add(name);
      m.settle('cleared');
    }
    this.sentMarks.clear();
    this.history.length = 0;
    if (hadSomething && !this.closed) this.transport.sendClear();
    this.sentPosition = heard;
    this.anchor = { pos: heard, at: this.clock.now() };
    this.stopTimer();
    return heard;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopTimer();
    for (const item of this.queue) if (item.kind === 'mark') item.mark.settle('cleared');
    for (const m of this.sentMarks.values()) m.settle('cleared');
    this.queue.length = 0;
    this.sentMarks.clear();
  }

  private pump(): void {
    if (this.closed || this.pausedHeard !== undefined) return;
    const now = this.clock.now();
    // Playback had drained: it restarts when this audio arrives, not at the old anchor.
    if (this.heardPosition() >= this.sentPosition) {
      this.anchor = { pos: this.sentPosition, at: now };
      this.awaitingFirstFrame = true;
    }
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head.kind === 'mark') {
        this.queue.shift();
        this.sentMarks.set(head.mark.name, head.mark);
        this.transport.sendMark(head.mark.name);
        continue;
      }
      if (this.sentPosition - this.heardPosition() >= this.opts.leadMs) break;
      this.queue.shift();
      this.transport.sendMedia(head.bytes);
      this.history.push({ pos: this.sentPosition, bytes: head.bytes });
      this.sentPosition += FRAME_MS;
      this.opts.events?.onFrameSent?.();
      if (this.awaitingFirstFrame) {
        this.awaitingFirstFrame = false;
        this.opts.events?.onFirstFrameSent?.(now);
      }
    }
    // Kept while the caller may not have heard them, and a rewind's worth before.
    const keepFrom = this.heardPosition() - RESUME_REWIND_MS - FRAME_MS;
    while (this.history.length > 0 && this.history[0]!.pos < keepFrom) this.history.shift();
    if (this.queue.length > 0) this.startTimer();
    else this.stopTimer();
  }

  /**
   * Wakes when the next frame may leave: when what the caller has heard lets the lead take one
   * more frame. Timed from the playback anchor, not from the last wake, so a late timer does not
   * push the next one later (a fixed 20 ms delay drifts and then sends two frames at once).
   */
  private startTimer(): void {
    if (this.timer !== undefined) return;
    const due = this.anchor.at + (this.sentPosition - this.opts.leadMs - this.anchor.pos);
    // +1: the lead test is strict; never sooner than 1 ms nor later than one frame.
    const delay = Math.min(FRAME_MS, Math.max(1, Math.ceil(due - this.clock.now()) + 1));
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, delay);
  }

  private stopTimer(): void {
    if (this.timer === undefined) return;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** A frame quiet enough to be a gap between words. */
function isQuiet(frame: Uint8Array): boolean {
  let sum = 0;
  for (const b of frame) {
    const v = decodeMulawSample(b);
    sum += v * v;
  }
  return Math.sqrt(sum / frame.length) < QUIET_RMS;
}
