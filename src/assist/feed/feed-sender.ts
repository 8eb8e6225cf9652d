import type { FeedMessage } from './feed-messages.js';

/** The part of a ws WebSocket the feed writes to. */
export interface FeedSocketOut {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface FeedSenderLimits {
  /** Past this many bytes waiting in the socket, interim transcripts are dropped. */
  softBufferedBytes: number;
  /** Past this, the agent's screen cannot keep up: the socket is closed with 1013 (try again later). */
  hardBufferedBytes: number;
}

export const DEFAULT_SENDER_LIMITS: FeedSenderLimits = {
  softBufferedBytes: 1024 * 1024,
  hardBufferedBytes: 4 * 1024 * 1024,
};

export type SendOutcome = 'sent' | 'dropped' | 'closed';

const OPEN = 1;

/** 1013 "try again later": the client may reconnect once it can read faster. */
export const CLOSE_BEHIND = 1013;

/**
 * Writes feed messages to one agent's socket without letting a slow reader grow the server's
 * memory: a socket that falls behind loses interim transcripts first (the next interim or the
 * final replaces them anyway), and one that falls far behind is closed.
 */
export class FeedSender {
  constructor(
    private readonly socket: FeedSocketOut,
    private readonly limits: FeedSenderLimits = DEFAULT_SENDER_LIMITS,
    private readonly onOutcome: (type: FeedMessage['type'], outcome: SendOutcome) => void = () => {},
  ) {}

  send(m: FeedMessage): SendOutcome {
    const outcome = this.write(m);
    this.onOutcome(m.type, outcome);
    return outcome;
  }

  private write(m: FeedMessage): SendOutcome {
    if (this.socket.readyState !== OPEN) return 'closed';
    const waiting = this.socket.bufferedAmount;
    if (waiting > this.limits.hardBufferedBytes) {
      this.socket.close(CLOSE_BEHIND, 'feed too far behind');
      return 'closed';
    }
    if (waiting > this.limits.softBufferedBytes && m.type === 'transcript' && !m.final) return 'dropped';
    this.socket.send(JSON.stringify(m));
    return 'sent';
  }
}
