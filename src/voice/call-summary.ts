import type { CallOutcome, CallSummary } from './events.js';
import type { TurnLatency } from './latency.js';

/**
 * What every kind of call session (pipeline, Realtime) says of a call at its end: the summary
 * of `call-ended` and its outcome, computed the same way whoever ran the call.
 */

export interface CallTally {
  durationMs: number;
  turns: ReadonlyArray<{ speaker: 'caller' | 'agent'; interrupted: boolean }>;
  latencies: readonly TurnLatency[];
  framesIn: number;
  framesOut: number;
}

export function summarizeCall(t: CallTally, endReason: string): CallSummary {
  const sent = t.latencies
    .map((l) => l.firstFrameSentMs)
    .filter((v): v is number => v !== undefined)
    .sort((a, b) => a - b);
  return {
    durationMs: t.durationMs,
    turns: t.turns.length,
    callerTurns: t.turns.filter((x) => x.speaker === 'caller').length,
    agentTurns: t.turns.filter((x) => x.speaker === 'agent').length,
    interruptions: t.turns.filter((x) => x.interrupted).length,
    framesIn: t.framesIn,
    framesOut: t.framesOut,
    endReason,
    ...(sent.length
      ? {
          latency: {
            turns: sent.length,
            firstFrameSentP50: sent[Math.floor((sent.length - 1) / 2)]!,
            firstFrameSentMax: sent.at(-1)!,
          },
        }
      : {}),
  };
}

export function callOutcome(
  how: { transferred: boolean; agentHungUp: boolean },
  reason: string,
): CallOutcome {
  if (how.transferred) return 'transferred';
  if (how.agentHungUp) return 'agent-hung-up';
  if (reason === 'shutdown') return 'server-shutdown';
  // Twilio's `stop`: the call ended at Twilio's side (the caller hung up).
  if (reason === 'stop') return 'caller-hung-up';
  return 'dropped';
}
