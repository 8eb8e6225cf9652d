/**
 * The browser call's two audio worklet processors (one module, loaded by call.ts):
 *
 * - 'mic-encoder': the microphone at the context's rate, down to 8 kHz (each output sample the
 *   mean of the input it spans: a box low-pass, enough for speech), G.711 mu-law, posted as
 *   160-byte frames (20 ms), exactly what the server's pipeline hears from a phone.
 * - 'speaker': the agent's 160-byte mu-law frames, decoded and brought up to the context's rate,
 *   played from a queue. A mark posted between frames is reported back once every frame before
 *   it has been played; `clear` empties the queue at once (barge-in) and reports the marks it
 *   dropped, as Twilio does (the server ignores echoes of marks it cleared).
 */

// The AudioWorkletGlobalScope, declared here: TypeScript's DOM library does not describe it.
declare const sampleRate: number;
declare function registerProcessor(name: string, ctor: unknown): void;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}

const FRAME = 160;
const PHONE_RATE = 8000;

/** Linear PCM (-1..1) to one G.711 mu-law byte. */
export function muLawEncode(x: number): number {
  const BIAS = 0x84;
  const CLIP = 32635;
  let s = Math.round(Math.max(-1, Math.min(1, x)) * 32767);
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  if (s > CLIP) s = CLIP;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** One G.711 mu-law byte to linear PCM (-1..1). */
export function muLawDecode(byte: number): number {
  const u = ~byte & 0xff;
  const sign = u & 0x80;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return (sign ? -magnitude : magnitude) / 32768;
}

class MicEncoder extends AudioWorkletProcessor {
  private readonly ratio = sampleRate / PHONE_RATE;
  private sum = 0;
  private count = 0;
  private position = 0;
  private frame = new Uint8Array(FRAME);
  private filled = 0;

  process(inputs: Float32Array[][]): boolean {
    const channel = inputs[0]?.[0];
    if (!channel) return true;
    for (let i = 0; i < channel.length; i++) {
      this.sum += channel[i]!;
      this.count++;
      this.position += 1;
      if (this.position < this.ratio) continue;
      this.position -= this.ratio;
      this.frame[this.filled++] = muLawEncode(this.sum / this.count);
      this.sum = 0;
      this.count = 0;
      if (this.filled === FRAME) {
        // The buffer moves to the page; the next frame gets a new one.
        this.port.postMessage(this.frame.buffer, [this.frame.buffer]);
        this.frame = new Uint8Array(FRAME);
        this.filled = 0;
      }
    }
    return true;
  }
}

type Queued = { kind: 'audio'; samples: Float32Array } | { kind: 'mark'; name: string };
type SpeakerCommand =
  { type: 'audio'; frame: ArrayBuffer } | { type: 'mark'; name: string } | { type: 'clear' };

class Speaker extends AudioWorkletProcessor {
  private readonly step = PHONE_RATE / sampleRate;
  private queue: Queued[] = [];
  /** Where in the head chunk playback is, in 8 kHz samples (fractional). */
  private position = 0;

  constructor() {
    super();
    this.port.onmessage = (e: MessageEvent<SpeakerCommand>) => {
      const m = e.data;
      if (m.type === 'audio') {
        const bytes = new Uint8Array(m.frame);
        const samples = new Float32Array(bytes.length);
        for (let i = 0; i < bytes.length; i++) samples[i] = muLawDecode(bytes[i]!);
        this.queue.push({ kind: 'audio', samples });
      } else if (m.type === 'mark') {
        this.queue.push({ kind: 'mark', name: m.name });
        this.reportPlayedMarks();
      } else {
        for (const q of this.queue)
          if (q.kind === 'mark') this.port.postMessage({ type: 'mark', name: q.name });
        this.queue = [];
        this.position = 0;
      }
    };
  }

  /** Marks at the head of the queue: everything before them has played. */
  private reportPlayedMarks(): void {
    while (this.queue[0]?.kind === 'mark') {
      const mark = this.queue.shift() as { name: string };
      this.port.postMessage({ type: 'mark', name: mark.name });
    }
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const out = outputs[0]?.[0];
    if (!out) return true;
    for (let i = 0; i < out.length; i++) {
      this.reportPlayedMarks();
      const head = this.queue[0];
      if (!head || head.kind !== 'audio') {
        out[i] = 0;
        continue;
      }
      const at = Math.floor(this.position);
      const frac = this.position - at;
      const a = head.samples[at] ?? 0;
      const next = head.samples[at + 1] ?? (this.queue[1]?.kind === 'audio' ? this.queue[1].samples[0]! : a);
      out[i] = a + (next - a) * frac;
      this.position += this.step;
      if (this.position >= head.samples.length) {
        this.position -= head.samples.length;
        this.queue.shift();
      }
    }
    for (let c = 1; c < (outputs[0]?.length ?? 0); c++) outputs[0]![c]!.set(out);
    this.reportPlayedMarks();
    return true;
  }
}

registerProcessor('mic-encoder', MicEncoder);
registerProcessor('speaker', Speaker);
