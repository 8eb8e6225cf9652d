import { z } from 'zod';
import type { BrainState } from '../brain.js';

/**
 * The rules brain's part of the conversation state, kept under `state.rules`. Parsed on every
 * turn because it comes back from wherever the channel stored it.
 */

export const AWAITING = ['anything-else', 'take-message'] as const;
export type Awaiting = (typeof AWAITING)[number];

export const dialogStateSchema = z.object({
  /** Consecutive turns the brain could not understand. */
  misses: z.number().int().min(0).default(0),
  /** Consecutive silences. */
  silences: z.number().int().min(0).default(0),
  /** What the last thing the agent said asked for. */
  awaiting: z.enum(AWAITING).optional(),
  /** The agent's last reply, for "say that again". */
  lastReply: z.string().optional(),
});
export type DialogState = z.infer<typeof dialogStateSchema>;

const KEY = 'rules';

export function loadDialogState(state: BrainState): DialogState {
  const parsed = dialogStateSchema.safeParse(state[KEY] ?? {});
  // State from an older version or a corrupted store must not crash a live call: start fresh.
  const value = parsed.success ? parsed.data : dialogStateSchema.parse({});
  state[KEY] = value;
  return value;
}
