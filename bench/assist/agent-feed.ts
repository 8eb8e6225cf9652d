import WebSocket from 'ws';
import { parseFeedMessage, type FeedMessage } from '../../src/assist/feed/index.js';

/**
 * An agent's socket on /assist/agent, as a desktop would hold it: every message parsed and kept
 * with the time it arrived (performance.now() and Date.now()), by call. A `suggestion` is paired
 * with the `suggestion-detail` that follows it for the same call (its kind and intent).
 */
export interface ReceivedSuggestion {
  content: string;
  confidence: number;
  priority: string;
  /** performance.now() / Date.now() on arrival of the `suggestion` message. */
  perfMs: number;
  wallMs: number;
  kind?: string;
  intent?: string;
  basis?: string;
  words?: string;
}

export interface FeedCall {
  suggestions: ReceivedSuggestion[];
  ended: boolean;
  transcripts: Array<{ speaker: string; text: string; final: boolean; perfMs: number }>;
  statuses: Array<{ state: string; reason: string }>;
}

export class AgentFeed {
  readonly calls = new Map<string, FeedCall>();
  readonly unparsed: string[] = [];
  private waiters: Array<() => void> = [];

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => this.receive(data.toString()));
  }

  /** Opens the feed with a server's bearer key (every live call of the key's business). */
  static async open(baseUrl: string, key: string, query = ''): Promise<AgentFeed> {
    const url = baseUrl.replace(/^http/, 'ws') + '/assist/agent' + query;
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${key}` } });
    const feed = new AgentFeed(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`agent feed refused: HTTP ${res.statusCode ?? 0}`)),
      );
      // The feed says `ready` once its subscription holds: calls placed after it are all seen.
      const ready = (data: WebSocket.RawData) => {
        const p = parseFeedMessage(data.toString());
        if (p.ok && p.message.type === 'ready') {
          ws.off('message', ready);
          resolve();
        }
      };
      ws.on('message', ready);
    });
    return feed;
  }

  call(callSid: string): FeedCall {
    let c = this.calls.get(callSid);
    if (!c) {
      c = { suggestions: [], ended: false, transcripts: [], statuses: [] };
      this.calls.set(callSid, c);
    }
    return c;
  }

  /** Resolves when the call's `call-ended` arrived, or after `timeoutMs`. */
  async ended(callSid: string, timeoutMs: number): Promise<boolean> {
    const end = performance.now() + timeoutMs;
    while (!this.call(callSid).ended && performance.now() < end) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return this.call(callSid).ended;
  }

  close(): void {
    this.ws.close();
  }

  private receive(raw: string): void {
    const perfMs = performance.now();
    const wallMs = Date.now();
    const parsed = parseFeedMessage(raw);
    if (!parsed.ok) {
      this.unparsed.push(raw.slice(0, 200));
      return;
    }
    this.record(parsed.message, perfMs, wallMs);
    for (const w of this.waiters.splice(0)) w();
  }

  private record(m: FeedMessage, perfMs: number, wallMs: number): void {
    switch (m.type) {
      case 'suggestion':
        this.call(m.callSid).suggestions.push({
          content: m.content,
          confidence: m.confidence,
          priority: m.priority,
          perfMs,
          wallMs,
        });
        return;
      case 'suggestion-detail': {
        // The detail follows its suggestion: it completes the latest one of the call without one.
        const s = [...this.call(m.callSid).suggestions].reverse().find((x) => x.kind === undefined);
        if (s) {
          s.kind = m.kind;
          s.basis = m.basis;
          if (m.intent !== undefined) s.intent = m.intent;
          if (m.evidence.words !== undefined) s.words = m.evidence.words;
        }
        return;
      }
      case 'transcript':
        this.call(m.callSid).transcripts.push({ speaker: m.speaker, text: m.text, final: m.final, perfMs });
        return;
      case 'call-ended':
        this.call(m.callSid).ended = true;
        return;
      case 'status':
        if (m.callSid) this.call(m.callSid).statuses.push({ state: m.state, reason: m.reason });
        return;
      default:
        return;
    }
  }
}
