/**
 * A client of a server-sent events response (the dashboard's GET /api/live): every message kept
 * as `{event, data}` with data parsed as JSON; comments (`: ping`) skipped.
 */
export interface EventStream {
  readonly messages: ReadonlyArray<{ event: string; data: unknown }>;
  /** Resolves with the first message (already received or to come) that matches; rejects after timeoutMs. */
  waitFor(match: (m: { event: string; data: unknown }) => boolean, timeoutMs: number): Promise<unknown>;
  close(): void;
}

export async function openEventStream(url: string, headers: Record<string, string>): Promise<EventStream> {
  const abort = new AbortController();
  const res = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  if (res.status !== 200 || !res.body) throw new Error(`event stream ${url}: HTTP ${res.status}`);
  const messages: Array<{ event: string; data: unknown }> = [];
  const listeners = new Set<() => void>();
  let buffer = '';
  const decoder = new TextDecoder();
  const parse = (block: string) => {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
    }
    if (data.length === 0) return;
    messages.push({ event, data: JSON.parse(data.join('\n')) as unknown });
    for (const l of [...listeners]) l();
  };
  void (async () => {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // closed by us or by the server: the messages so far stay
    }
  })();
  return {
    messages,
    waitFor(match, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(match);
          if (!found) return false;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(found.data);
          return true;
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no matching event in ${timeoutMs} ms; got ${JSON.stringify(messages)}`));
        }, timeoutMs);
        if (!check()) listeners.add(check);
      });
    },
    close: () => abort.abort(),
  };
}
