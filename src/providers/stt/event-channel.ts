/**
 * The output side of an STT stream: the provider pushes events as they become known, one consumer
 * reads them with for-await. end() finishes the iteration; fail() makes it throw once the events
 * before the failure have been read.
 */
export class EventChannel<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #waiting: { resolve(r: IteratorResult<T>): void; reject(err: unknown): void } | undefined;
  #ended = false;
  #error: { err: unknown } | undefined;
  #iterated = false;

  get ended(): boolean {
    return this.#ended;
  }

  push(item: T): void {
    if (this.#ended) return;
    const w = this.#waiting;
    if (w) {
      this.#waiting = undefined;
      w.resolve({ value: item, done: false });
    } else this.#items.push(item);
  }

  /** No more events; what was pushed is still read. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#wake();
  }

  /** The stream is dead: the reader gets what was pushed, then this error. */
  fail(err: unknown): void {
    if (this.#ended) return;
    this.#error = { err };
    this.end();
  }

  /** Ends at once, dropping what the reader has not taken (close: no more events). */
  discard(): void {
    this.#items.length = 0;
    this.end();
  }

  #wake(): void {
    const w = this.#waiting;
    if (!w) return;
    this.#waiting = undefined;
    if (this.#error) {
      const { err } = this.#error;
      this.#error = undefined;
      w.reject(err instanceof Error ? err : new Error(String(err)));
    } else w.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    // One reader: a second would silently steal half the events.
    if (this.#iterated) throw new Error('an STT stream is read by one consumer');
    this.#iterated = true;
    return {
      next: () => {
        if (this.#items.length > 0) return Promise.resolve({ value: this.#items.shift()!, done: false });
        if (this.#ended) {
          if (this.#error) {
            const { err } = this.#error;
            this.#error = undefined; // thrown once; afterwards the iteration is simply done
            return Promise.reject(err instanceof Error ? err : new Error(String(err)));
          }
          return Promise.resolve({ value: undefined, done: true });
        }
        return new Promise((resolve, reject) => (this.#waiting = { resolve, reject }));
      },
      return: () => {
        this.discard();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
