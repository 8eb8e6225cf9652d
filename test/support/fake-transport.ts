import type { MediaTransport } from '../../src/voice/playout.js';

export type Sent =
  | { kind: 'media'; bytes: Uint8Array; at: number }
  | { kind: 'mark'; name: string; at: number }
  | { kind: 'clear'; at: number };

/** Records what a playout sends, stamped with the fake clock's time. */
export class RecordingTransport implements MediaTransport {
  readonly sent: Sent[] = [];
  constructor(private readonly now: () => number) {}
  sendMedia(bytes: Uint8Array): void {
    this.sent.push({ kind: 'media', bytes, at: this.now() });
  }
  sendMark(name: string): void {
    this.sent.push({ kind: 'mark', name, at: this.now() });
  }
  sendClear(): void {
    this.sent.push({ kind: 'clear', at: this.now() });
  }
  frames(): number {
    return this.sent.filter((s) => s.kind === 'media').length;
  }
  marks(): string[] {
    return this.sent.flatMap((s) => (s.kind === 'mark' ? [s.name] : []));
  }
}
