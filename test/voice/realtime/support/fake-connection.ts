import type {
  RealtimeConnection,
  RealtimeServerEvent,
  RealtimeSessionConfig,
} from '../../../../src/providers/realtime/index.js';

/** A client event the bridge sent, as the double recorded it. */
export type SentEvent =
  | { type: 'append'; audio: string }
  | { type: 'session.update'; config: RealtimeSessionConfig }
  | { type: 'response.create'; instructions?: string }
  | { type: 'response.cancel' }
  | { type: 'truncate'; itemId: string; audioEndMs: number }
  | { type: 'tool-output'; callId: string; output: string }
  | { type: 'message'; role: 'user' | 'assistant'; text: string }
  | { type: 'close' };

/**
 * An in-memory RealtimeConnection for the bridge's unit tests: the test pushes server events (in
 * the GA shapes) and reads what the bridge sent. `events` behaves as the real one: ends after
 * close(), throws when the test breaks the connection.
 */
export class FakeRealtimeConnection implements RealtimeConnection {
  readonly sent: SentEvent[] = [];
  closed = false;
  private readonly queue: Array<{ e: RealtimeServerEvent } | { err: Error } | { end: true }> = [];
  private wake: (() => void) | undefined;

  readonly events: AsyncIterable<RealtimeServerEvent> = {
    [Symbol.asyncIterator]: () => ({
      next: async (): Promise<IteratorResult<RealtimeServerEvent>> => {
        for (;;) {
          const head = this.queue.shift();
          if (head) {
            if ('e' in head) return { value: head.e, done: false };
            if ('err' in head) throw head.err;
            return { value: undefined, done: true };
          }
          await new Promise<void>((r) => (this.wake = r));
        }
      },
    }),
  };

  /** Server events, delivered in order. */
  push(...events: RealtimeServerEvent[]): void {
    for (const e of events) this.queue.push({ e });
    this.poke();
  }

  /** The socket breaks: iteration throws `err`. */
  break(err: Error): void {
    this.queue.push({ err });
    this.poke();
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  appendAudio(base64Mulaw: string): void {
    this.sent.push({ type: 'append', audio: base64Mulaw });
  }
  updateSession(config: RealtimeSessionConfig): void {
    this.sent.push({ type: 'session.update', config });
  }
  createResponse(opts?: { instructions?: string }): void {
    this.sent.push({
      type: 'response.create',
      ...(opts?.instructions ? { instructions: opts.instructions } : {}),
    });
  }
  cancelResponse(): void {
    this.sent.push({ type: 'response.cancel' });
  }
  truncate(itemId: string, audioEndMs: number): void {
    this.sent.push({ type: 'truncate', itemId, audioEndMs });
  }
  sendToolOutput(callId: string, output: string): void {
    this.sent.push({ type: 'tool-output', callId, output });
  }
  addMessage(role: 'user' | 'assistant', text: string): void {
    this.sent.push({ type: 'message', role, text });
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sent.push({ type: 'close' });
    this.queue.push({ end: true });
    this.poke();
  }

  of<T extends SentEvent['type']>(type: T): Array<Extract<SentEvent, { type: T }>> {
    return this.sent.filter((s): s is Extract<SentEvent, { type: T }> => s.type === type);
  }
}

/** ms of a mu-law tone, base64 (8 bytes per ms). */
export function toneBase64(ms: number): string {
  const bytes = Buffer.alloc(ms * 8);
  for (let i = 0; i < bytes.length; i++) bytes[i] = i % 2 ? 0x1f : 0x9f;
  return bytes.toString('base64');
}

/** The server events of one spoken answer, in the GA order, audio in `chunkMs` deltas. */
export function spokenResponse(
  responseId: string,
  itemId: string,
  transcript: string,
  audioMs: number,
  chunkMs = 100,
): RealtimeServerEvent[] {
  const out: RealtimeServerEvent[] = [
    { type: 'response.created', response: { id: responseId, status: 'in_progress' } },
    {
      type: 'response.output_item.added',
      response_id: responseId,
      output_index: 0,
      item: { id: itemId, type: 'message', role: 'assistant' },
    },
    {
      type: 'response.output_audio_transcript.delta',
      response_id: responseId,
      item_id: itemId,
      delta: transcript,
    },
  ];
  for (let t = 0; t < audioMs; t += chunkMs) {
    out.push({
      type: 'response.output_audio.delta',
      response_id: responseId,
      item_id: itemId,
      delta: toneBase64(Math.min(chunkMs, audioMs - t)),
    });
  }
  out.push(
    { type: 'response.output_audio_transcript.done', response_id: responseId, item_id: itemId, transcript },
    { type: 'response.output_audio.done', response_id: responseId, item_id: itemId },
    {
      type: 'response.done',
      response: {
        id: responseId,
        status: 'completed',
        output: [{ id: itemId, type: 'message', role: 'assistant' }],
      },
    },
  );
  return out;
}
