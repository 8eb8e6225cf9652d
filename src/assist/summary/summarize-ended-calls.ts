import type { CallSid } from '../../ids.js';
import type { BusEvent, EventBus } from '../../store/bus/index.js';

/**
 * The call bus as the node's call sessions publish on it, with every `call-ended` also queueing
 * the call's written summary. The bus only has per-call and per-business topics, so instead of a
 * subscription per business the node's own publishes are tapped: each AI-answered call ends on
 * the node that served it, and is summarised there once. Publishing is otherwise unchanged.
 */
export function summarizeEndedCalls<E extends BusEvent>(
  callBus: EventBus<E>,
  jobs: { enqueue(callSid: CallSid): void },
): EventBus<E> {
  return {
    publish(event) {
      if (event.type === 'call-ended') {
        try {
          jobs.enqueue(event.callSid as CallSid);
        } catch {
          // The summary is a follow-up; it never stands in the way of the call's own events.
        }
      }
      return callBus.publish(event);
    },
    subscribe: (topic, handler) => callBus.subscribe(topic, handler),
    close: () => callBus.close(),
  };
}
