import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../http/logger.js';
import type { CallsRepo } from '../store/index.js';

/** Every node refreshes its live calls' last_seen_at this often... */
const HEARTBEAT_MS = 10_000;
/** ...and a call whose node has been silent this long is taken for abandoned (its node is gone). */
const STALE_AFTER_MS = 90_000;

/**
 * This node's liveness on its calls (last_seen_at), and the calls of nodes that vanished: closed
 * as failed once silent past STALE_AFTER_MS. Errors are logged; the loop goes on until aborted.
 */
export async function keepCallsAlive(
  calls: CallsRepo,
  nodeId: string,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    try {
      await calls.heartbeat(nodeId);
      const lost = await calls.closeStale(nodeId, STALE_AFTER_MS, 'node-lost');
      if (lost.length > 0)
        log.warn(
          { calls: lost.map((c) => c.callSid), nodes: [...new Set(lost.map((c) => c.nodeId))] },
          'closed calls of a node that stopped answering as failed',
        );
    } catch (err) {
      if (!signal.aborted) log.error({ err }, 'call heartbeat failed');
    }
    await sleep(HEARTBEAT_MS, undefined, { signal }).catch(() => undefined);
  }
}
