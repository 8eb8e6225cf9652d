/**
 * One handle per agent utterance: its text as it was spoken segment by segment, whether the
 * caller may interrupt it, and a promise that settles once: played in full, or interrupted
 * with the part the caller actually heard.
 */
export type SpeechOutcome =
  | { interrupted: false; text: string; durationMs: number }
  | { interrupted: true; text: string; heardText: string; heardMs: number };

interface Segment {
  text: string;
  /** Playout positions (ms) where this segment's audio starts and ends. */
  start: number;
  end: number;
}

let nextId = 0;

export class SpeechHandle {
  readonly id = `sp${++nextId}`;
  readonly abort = new AbortController();
  private readonly segments: Segment[] = [];
  private settled = false;
  private resolveDone!: (o: SpeechOutcome) => void;
  readonly done: Promise<SpeechOutcome> = new Promise((r) => (this.resolveDone = r));

  constructor(private interruptible = true) {}

  /** Whether the caller may talk over this utterance. */
  get allowInterruptions(): boolean {
    return this.interruptible;
  }

  /** From now on the caller cannot talk over it (an emergency's safety advice must be heard). */
  disallowInterruptions(): void {
    this.interruptible = false;
  }

  get text(): string {
    return this.segments.map((s) => s.text).join(' ');
  }

  get isSettled(): boolean {
    return this.settled;
  }

  /** The playout position where this utterance's audio begins, once any was queued. */
  get startPosition(): number | undefined {
    return this.segments[0]?.start;
  }

  addSegment(text: string, start: number, end: number): void {
    this.segments.push({ text, start, end });
  }

  markPlayed(): void {
    if (this.settled) return;
    this.settled = true;
    const first = this.segments[0];
    const last = this.segments.at(-1);
    this.resolveDone({
      interrupted: false,
      text: this.text,
      durationMs: first && last ? last.end - first.start : 0,
    });
  }

  /** Interrupted when playback had reached `heardPosition` on the playout timeline. */
  markInterrupted(heardPosition: number): void {
    if (this.settled) return;
    this.settled = true;
    this.abort.abort(new Error('interrupted'));
    const start = this.startPosition ?? heardPosition;
    this.resolveDone({
      interrupted: true,
      text: this.text,
      heardText: heardTextAt(this.segments, heardPosition),
      heardMs: Math.max(0, heardPosition - start),
    });
  }
}

/**
 * Text heard by position p: whole segments that finished, and of the segment playing at p the
 * words whose share of its duration had passed (speech is roughly even within a sentence).
 */
export function heardTextAt(segments: readonly Segment[], p: number): string {
  const parts: string[] = [];
  for (const s of segments) {
    if (p >= s.end) {
      parts.push(s.text);
      continue;
    }
    if (p > s.start && s.end > s.start) {
      const words = s.text.split(/\s+/).filter(Boolean);
      const n = Math.floor((words.length * (p - s.start)) / (s.end - s.start));
      if (n > 0) parts.push(words.slice(0, n).join(' '));
    }
    break;
  }
  return parts.join(' ');
}
