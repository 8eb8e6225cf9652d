/**
 * The chat socket's messages as the widget sees them: a hand-kept mirror of
 * src/channels/chat/chat-protocol.ts (the widget carries no zod, to stay small). The server
 * validates what we send; we check only the `type` of what it sends.
 */

export type WidgetLevel = 'basic' | 'enhanced' | 'full';

export interface Chip {
  label: string;
  text: string;
}

export interface HistoryEntry {
  from: 'visitor' | 'agent';
  text: string;
}

export type ClientMessage =
  { type: 'hello'; key: string; resume?: string } | { type: 'message'; id: string; text: string };

export type ServerMessage =
  | {
      type: 'ready';
      conversation: string;
      history: HistoryEntry[];
      business: { name: string };
      level: WidgetLevel;
      branding: boolean;
      chips: Chip[];
    }
  | { type: 'typing' }
  | { type: 'reply'; text: string }
  | { type: 'ended'; reason: string }
  | { type: 'error'; code: string; message: string };

export const MAX_MESSAGE_CHARS = 1000;

/** Close codes after which trying again cannot help (unknown key, origin refused, too many tabs). */
export const FINAL_CLOSE_CODES: readonly number[] = [4403, 4404, 4429];

export function parseServerMessage(data: unknown): ServerMessage | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const m = JSON.parse(data) as { type?: unknown };
    const known = ['ready', 'typing', 'reply', 'ended', 'error'];
    return typeof m === 'object' && m !== null && known.includes(m.type as string)
      ? (m as ServerMessage)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Wait before reconnect attempt `n` (0-based): 1 s doubling to 30 s, with some jitter. */
export function backoffMs(n: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 1000 * 2 ** Math.min(n, 5));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** The socket's address from the widget script's own address: same host, ws(s)://…/chat. */
export function chatUrl(scriptSrc: string): string {
  const u = new URL('/chat', scriptSrc);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.href;
}
