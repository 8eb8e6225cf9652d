import type { BusinessId } from '../ids.js';
import type { Logger } from '../shared/index.js';
import type { BusEvent, EventBus } from '../store/bus/index.js';
import { liveSessionId, type LiveSessionRecord, type LiveSessions } from '../store/live-sessions/index.js';
import type { CallEvent } from '../voice/index.js';

export interface LiveSessionTracker {
  /** Fire and forget: never throws, never waits on the store. */
  onCallEvent(e: CallEvent): void;
}

/**
 * This node's calls in the live-sessions store: a record at call-started, its turns and last
 * activity as caller and agent take turns, its state at a transfer or a goodbye, and gone at
 * call-ended. Turns count as the call log does: the caller's words or keys, and the agent's
 * turns played or cut.
 */
export function trackLiveSessions(opts: {
  store: LiveSessions;
  nodeId: string;
  log?: Pick<Logger, 'warn'>;
}): LiveSessionTracker {
  const calls = new Map<string, LiveSessionRecord>();

  const write = (what: Promise<void>) =>
    void what.catch((err: unknown) => opts.log?.warn({ err }, 'live sessions: a write failed'));

  const update = (e: CallEvent, change: (r: LiveSessionRecord) => LiveSessionRecord) => {
    const current = calls.get(e.callSid);
    if (!current) return; // started before the tracker, or another node's call
    const next = change({ ...current, lastActivityAt: new Date(e.at).toISOString() });
    calls.set(e.callSid, next);
    write(opts.store.put(next));
  };

  const on = (e: CallEvent): void => {
    switch (e.type) {
      case 'call-started': {
        const startedAt = new Date(e.at).toISOString();
        const rec: LiveSessionRecord = {
          id: liveSessionId(e.channel, e.callSid),
          type: e.channel,
          callSid: e.callSid,
          businessId: e.businessId as BusinessId,
          nodeId: opts.nodeId,
          startedAt,
          lastActivityAt: startedAt,
          turns: 0,
          state: 'in-progress',
        };
        calls.set(e.callSid, rec);
        write(opts.store.put(rec));
        return;
      }
      case 'transcript-final':
        if (e.track === 'inbound') update(e, (r) => ({ ...r, turns: r.turns + 1 }));
        return;
      case 'digits-entered':
      case 'agent-turn-ended':
      case 'agent-turn-interrupted':
        update(e, (r) => ({ ...r, turns: r.turns + 1 }));
        return;
      case 'transfer':
        update(e, (r) => ({ ...r, state: 'transferring' }));
        return;
      case 'transfer-result':
        if (!e.transferred) update(e, (r) => ({ ...r, state: 'in-progress' }));
        return;
      case 'agent-hangup':
      case 'goodbye':
        update(e, (r) => ({ ...r, state: 'ending' }));
        return;
      case 'call-ended': {
        const rec = calls.get(e.callSid);
        if (!rec) return;
        calls.delete(e.callSid);
        write(opts.store.remove(rec.id));
        return;
      }
      default:
        return;
    }
  };

  return {
    onCallEvent(e) {
      try {
        on(e);
      } catch (err) {
        opts.log?.warn({ err, event: e.type }, 'live sessions: tracking an event failed');
      }
    },
  };
}

/**
 * The bus with a listener on what this node publishes (its own calls' events, not those that
 * arrive from other nodes): where the app hands call events to the tracker.
 */
export function tapPublished<E extends BusEvent>(bus: EventBus<E>, tap: (event: E) => void): EventBus<E> {
  return {
    publish: async (event) => {
      tap(event);
      await bus.publish(event);
    },
    subscribe: (topic, handler) => bus.subscribe(topic, handler),
    close: () => bus.close(),
  };
}
