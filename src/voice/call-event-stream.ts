import type { BusinessId, CallSid } from '../ids.js';
import type { CallEvent, CallEventBody } from './events.js';

export type CallEventListener = (event: CallEvent) => void;

/**
 * One call's event stream: stamps what the session emits with the call's ids, the next seq and
 * the time, and hands it to each listener synchronously, in order. A listener that throws is
 * reported and the others still get the event: no listener can break the call.
 */
export class CallEventStream {
  private seq = 0;
  private readonly listeners: CallEventListener[] = [];

  constructor(
    readonly callSid: CallSid,
    readonly businessId: BusinessId,
    private readonly opts: { onListenerError: (err: unknown, event: CallEvent) => void; now?: () => number },
  ) {}

  /** Listens from the next event on; returns a function that stops listening. */
  subscribe(listener: CallEventListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  emit(body: CallEventBody): CallEvent {
    const event = {
      ...body,
      callSid: this.callSid,
      businessId: this.businessId,
      seq: ++this.seq,
      at: (this.opts.now ?? Date.now)(),
    } as CallEvent;
    for (const l of [...this.listeners]) {
      try {
        l(event);
      } catch (err) {
        this.opts.onListenerError(err, event);
      }
    }
    return event;
  }

  /** Events emitted so far. */
  get count(): number {
    return this.seq;
  }
}
