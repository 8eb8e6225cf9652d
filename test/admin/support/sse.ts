/** Reading a server-sent-events response in tests: messages in order, comments included. */

export interface SseMessage {
  event: string;
  /** Parsed JSON of the data lines; undefined for a comment. */
  data?: Record<string, unknown>;
  /** A comment line (`: ping`). */
  comment?: string;
}

export interface SseReader {
  status: number;
  headers: Headers;
  /** The next message that matches, skipping others (they stay in `seen`). */
  next(match?: (m: SseMessage) => boolean): Promise<SseMessage>;
  /** Every message read so far. */
  seen: SseMessage[];
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const abort = new AbortController();
  const res = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  const seen: SseMessage[] = [];
  const queue: SseMessage[] = [];
  const reader = res.body?.getReader();
  const decoder = new TextDecoder();
  let buffer = '';

  const readMore = async (): Promise<void> => {
    if (!reader) throw new Error('no body');
    const { value, done } = await reader.read();
    if (done) throw new Error('the stream ended');
    buffer += decoder.decode(value, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const m: SseMessage = { event: 'message' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) m.comment = line.slice(1).trim();
        else if (line.startsWith('event: ')) m.event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length) m.data = JSON.parse(data.join('\n')) as Record<string, unknown>;
      if (m.comment !== undefined && data.length === 0) m.event = 'comment';
      seen.push(m);
      queue.push(m);
    }
  };

  return {
    status: res.status,
    headers: res.headers,
    seen,
    async next(match = () => true) {
      for (;;) {
        const i = queue.findIndex(match);
        if (i >= 0) {
          const [m] = queue.splice(0, i + 1).slice(-1);
          return m!;
        }
        queue.length = 0;
        await readMore();
      }
    },
    close() {
      abort.abort();
    },
  };
}
