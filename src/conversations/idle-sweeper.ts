import type { Logger } from '../shared/index.js';
import type { ConversationsRepo } from '../store/index.js';
import type { ConversationId, TurnChannel } from './contract.js';

/** The channels whose conversations have no end of their own: a visitor just stops writing. */
export const IDLE_CHANNELS: readonly TurnChannel[] = ['chat', 'whatsapp'];
/** Conversations closed per sweep at most; the next sweep takes the rest. */
const SWEEP_BATCH = 200;

export interface IdleSweepDeps {
  repo: Pick<ConversationsRepo, 'listIdle'>;
  /** Ends one (the engine: closes its calls row too); only if still idle since `idleBefore`. */
  conversations: { end(id: ConversationId, reason: string, opts: { idleBefore: Date }): Promise<void> };
  log: Pick<Logger, 'info' | 'warn'>;
  now?: () => Date;
}

export interface IdleSweepOptions {
  /** No activity for this long closes a conversation (CONVERSATION_IDLE_MINUTES). */
  idleMs: number;
  channels?: readonly TurnChannel[];
}

/**
 * Closes open conversations on `channels` (chat and WhatsApp by default) with no activity for
 * `idleMs`, with reason 'idle'; returns how many it looked at. A conversation a message wakes
 * between the list and its end is left open (the end is conditional on the same idleness).
 */
export async function sweepIdleConversations(deps: IdleSweepDeps, opts: IdleSweepOptions): Promise<number> {
  const idleBefore = new Date((deps.now?.() ?? new Date()).getTime() - Math.max(0, opts.idleMs));
  const idle = await deps.repo.listIdle({
    before: idleBefore,
    channels: opts.channels ?? IDLE_CHANNELS,
    limit: SWEEP_BATCH,
  });
  for (const c of idle) {
    try {
      await deps.conversations.end(c.id as ConversationId, 'idle', { idleBefore });
    } catch (err) {
      // One that cannot be closed now must not keep the others open; the next sweep tries again.
      deps.log.warn({ err, conversationId: c.id }, 'closing an idle conversation failed');
    }
  }
  if (idle.length > 0) deps.log.info({ count: idle.length }, 'idle conversations closed');
  return idle.length;
}

/**
 * Sweeps every `everyMs` until `signal` aborts (the app's shutdown); a failed sweep is logged
 * and the next one runs. Resolves once stopped.
 */
export async function runIdleSweeper(
  signal: AbortSignal,
  opts: IdleSweepDeps & IdleSweepOptions & { everyMs: number },
): Promise<void> {
  while (!signal.aborted) {
    try {
      await sweepIdleConversations(opts, opts);
    } catch (err) {
      opts.log.warn({ err }, 'idle conversation sweep failed');
    }
    await sleep(Math.max(1, opts.everyMs), signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
