/**
 * Server-Sent Events decoding, incremental over the bytes of a response body. Lines end at \n,
 * \r\n or \r (a \r at the end of a chunk waits for the next chunk, which may start with \n); a
 * blank line ends an event; lines starting with ':' are comments; `field: value` loses one space
 * after the colon; several data lines join with \n. Hand-written because it sits on the hot path
 * of every streamed token and is small.
 */

export interface SseEvent {
  /** The `event:` field, when the server named the event. */
  readonly event: string | undefined;
  readonly data: string;
  readonly id: string | undefined;
}

export class SseDecoder {
  private readonly text = new TextDecoder('utf-8');
  private buffer = '';
  private data: string[] = [];
  private event: string | undefined;
  private id: string | undefined;

  /** Bytes in, the events they completed out. */
  push(chunk: Uint8Array): SseEvent[] {
    this.buffer += this.text.decode(chunk, { stream: true });
    return this.drain(false);
  }

  /**
   * End of the body: a last line without its line break still counts, and an event the server
   * did not close with a blank line is delivered rather than lost.
   */
  end(): SseEvent[] {
    this.buffer += this.text.decode();
    const out = this.drain(true);
    if (this.buffer !== '') this.line(this.buffer, out);
    this.buffer = '';
    this.dispatch(out);
    return out;
  }

  private drain(final: boolean): SseEvent[] {
    const out: SseEvent[] = [];
    let start = 0;
    const buf = this.buffer;
    for (let i = 0; i < buf.length; i++) {
      const c = buf.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      if (c === 13) {
        // "\r" then "\n" is one line break; a lone "\r" at the end of the chunk must wait to see.
        if (i + 1 === buf.length && !final) break;
        this.line(buf.slice(start, i), out);
        if (buf.charCodeAt(i + 1) === 10) i++;
      } else {
        this.line(buf.slice(start, i), out);
      }
      start = i + 1;
    }
    this.buffer = buf.slice(start);
    return out;
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === '') {
      this.dispatch(out);
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' */) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id') this.id = value;
    // "retry" and unknown fields: nothing to do for a client that does not reconnect.
  }

  private dispatch(out: SseEvent[]): void {
    if (this.data.length > 0) out.push({ event: this.event, data: this.data.join('\n'), id: this.id });
    this.data = [];
    this.event = undefined;
  }
}
