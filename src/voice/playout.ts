/**
 * Agent audio on its way to the caller: 20 ms mu-law frames sent ahead of real time by a
 * capped lead, a mark after each segment, and an estimate of what the caller has heard.
 *
 * Heard position = the audio position of the last echoed mark plus the time since its echo,
 * never more than what was sent (DESIGN.md "What the caller heard"). A `clear` makes Twilio echo
 * every pending mark at once, so marks pending at a clear are remembered and their echoes ignored.
 */

import { FRAME_BYTES, FRAME_MS, MULAW_SILENCE as SILENCE } from '../audio/index.js';
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

  /** True while audio is queued or still playing at the caller's end. */
  isPlaying(): boolean {
    return this.queue.length > 0 || this.partialLen > 0 || this.bufferedMs() > 0;
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
    const heard = this.heardPosition();
    const hadSomething = this.sentPosition > heard || this.queue.length > 0 || this.partialLen > 0;
    for (const item of this.queue) if (item.kind === 'mark') item.mark.settle('cleared');
    this.queue.length = 0;
    this.partialLen = 0;
    for (const [name, m] of this.sentMarks) {
      this.clearedMarks.add(name);
      m.settle('cleared');
    }
    this.sentMarks.clear();
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
    if (this.closed) return;
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
      this.sentPosition += FRAME_MS;
      this.opts.events?.onFrameSent?.();
      if (this.awaitingFirstFrame) {
        this.awaitingFirstFrame = false;
        this.opts.events?.onFirstFrameSent?.(now);
      }
    }
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
