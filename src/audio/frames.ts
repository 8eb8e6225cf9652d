/**
 * Twilio media-stream framing: 8 kHz mono mu-law, 20 ms = 160 bytes per frame.
 */

export const TWILIO_SAMPLE_RATE = 8000;
export const FRAME_MS = 20;
export const FRAME_BYTES = (TWILIO_SAMPLE_RATE * FRAME_MS) / 1000; // 160
/** The mu-law code for 0 (G.711 "+0"): what Twilio and reference bridges pad with. */
export const MULAW_SILENCE = 0xff;

/** Duration of `n` bytes of 8 kHz mu-law, in ms (8 bytes per ms). */
export function msForMulawBytes(n: number): number {
  return n / 8;
}

/** Bytes of 8 kHz mu-law that last `ms` milliseconds (rounded down to whole samples). */
export function mulawBytesForMs(ms: number): number {
  return Math.floor(ms * 8);
}

/** `n` bytes of mu-law silence. */
export function mulawSilence(n: number): Uint8Array {
  return new Uint8Array(n).fill(MULAW_SILENCE);
}

/**
 * Cuts a byte stream of any chunk sizes into fixed frames, keeping the remainder for the next
 * push. Frames are fresh copies: callers may reuse the arrays they push.
 */
export class FrameChunker {
  readonly frameBytes: number;
  readonly #partial: Uint8Array;
  #fill = 0;

  constructor(frameBytes: number = FRAME_BYTES) {
    if (!Number.isInteger(frameBytes) || frameBytes < 1) {
      throw new RangeError(`frameBytes must be a positive integer, got ${frameBytes}`);
    }
    this.frameBytes = frameBytes;
    this.#partial = new Uint8Array(frameBytes);
  }

  /** Bytes held back, waiting to complete a frame. */
  get pending(): number {
    return this.#fill;
  }

  /** Every whole frame now available, in order. */
  push(bytes: Uint8Array): Uint8Array[] {
    const size = this.frameBytes;
    const frames: Uint8Array[] = [];
    let at = 0;
    if (this.#fill > 0) {
      const take = Math.min(size - this.#fill, bytes.length);
      this.#partial.set(bytes.subarray(0, take), this.#fill);
      this.#fill += take;
      at = take;
      if (this.#fill < size) return frames;
      frames.push(this.#partial.slice());
      this.#fill = 0;
    }
    for (; at + size <= bytes.length; at += size) frames.push(bytes.slice(at, at + size));
    if (at < bytes.length) {
      this.#partial.set(bytes.subarray(at), 0);
      this.#fill = bytes.length - at;
    }
    return frames;
  }

  /**
   * The last partial frame, if any: padded to a whole frame with mu-law silence when asked (a
   * receiver that wants whole frames), else as it is. Empties the chunker.
   */
  flush(options: { padWithSilence?: boolean } = {}): Uint8Array | undefined {
    if (this.#fill === 0) return undefined;
    const out = options.padWithSilence
      ? new Uint8Array(this.frameBytes).fill(MULAW_SILENCE)
      : new Uint8Array(this.#fill);
    out.set(this.#partial.subarray(0, this.#fill));
    this.#fill = 0;
    return out;
  }

  /** Drop the held-back remainder (e.g. on barge-in). */
  clear(): void {
    this.#fill = 0;
  }
}
