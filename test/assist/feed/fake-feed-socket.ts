import { EventEmitter } from 'node:events';
import type { FeedMessage } from '../../../src/assist/feed/feed-messages.js';
import type { FeedSocket } from '../../../src/assist/feed/feed-connection.js';

/** A WebSocket as the feed sees it, in memory: what was sent, pings, closes; the test plays the agent. */
export class FakeFeedSocket extends EventEmitter implements FeedSocket {
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: FeedMessage[] = [];
  pings = 0;
  closedWith: { code?: number; reason?: string } | undefined;
  terminated = false;

  send(data: string): void {
    this.sent.push(JSON.parse(data) as FeedMessage);
  }
  close(code?: number, reason?: string): void {
    if (this.readyState !== 1) return;
    this.readyState = 3;
    this.closedWith = {
      ...(code !== undefined ? { code } : {}),
      ...(reason !== undefined ? { reason } : {}),
    };
    this.emit('close');
  }
  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
    this.emit('close');
  }
  ping(): void {
    this.pings++;
  }
  /** The agent sends a frame. */
  receive(data: string | Buffer, isBinary = false): void {
    this.emit('message', typeof data === 'string' ? Buffer.from(data) : data, isBinary);
  }
  types(): string[] {
    return this.sent.map((m) => m.type);
  }
}
