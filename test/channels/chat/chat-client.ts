import WebSocket from 'ws';
import type { ServerMessage } from '../../../src/channels/chat/index.js';

/** A test's widget: sends frames, and waits for the server's messages in the order they came. */
export class ChatClient {
  readonly received: ServerMessage[] = [];
  private readonly waiters: Array<() => void> = [];
  private read = 0;
  closed: { code: number; reason: string } | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.received.push(JSON.parse(String(data)) as ServerMessage);
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      this.wake();
    });
  }

  static async connect(url: string, headers: Record<string, string> = {}): Promise<ChatClient> {
    const ws = new WebSocket(url, { headers });
    const client = new ChatClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  send(m: unknown): void {
    this.ws.send(typeof m === 'string' ? m : JSON.stringify(m));
  }

  /** The next message not yet read (fails if the socket closes first). */
  async next(): Promise<ServerMessage> {
    while (this.read >= this.received.length) {
      if (this.closed) throw new Error(`socket closed (${this.closed.code} ${this.closed.reason})`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
    return this.received[this.read++]!;
  }

  /** Reads up to and including the next message of `type`, returning it. */
  async until<T extends ServerMessage['type']>(type: T): Promise<Extract<ServerMessage, { type: T }>> {
    for (;;) {
      const m = await this.next();
      if (m.type === type) return m as Extract<ServerMessage, { type: T }>;
    }
  }

  /** Resolves when the server closes the socket. */
  async closedBy(): Promise<{ code: number; reason: string }> {
    while (!this.closed) await new Promise<void>((r) => this.waiters.push(r));
    return this.closed;
  }

  close(): void {
    this.ws.close();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
