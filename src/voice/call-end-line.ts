import type { CallEvent } from './events.js';

/**
 * The one line each call logs when it ends: how long, how many turns, how it ended, how fast the
 * agent answered. No caller details: a person reading the log sees the shape of the call.
 */
export function callEndLine(log: { info(obj: object, msg?: string): void }): (e: CallEvent) => void {
  return (e) => {
    if (e.type !== 'call-ended') return;
    const s = e.summary;
    log.info(
      {
        callSid: e.callSid,
        outcome: e.outcome,
        reason: e.reason,
        durationSec: Math.round(s.durationMs / 100) / 10,
        turns: s.turns,
        callerTurns: s.callerTurns,
        agentTurns: s.agentTurns,
        interruptions: s.interruptions,
        ...(s.latency?.firstFrameSentP50 !== undefined
          ? { firstFrameP50Ms: s.latency.firstFrameSentP50, firstFrameMaxMs: s.latency.firstFrameSentMax }
          : {}),
      },
      `call ended: ${e.outcome}, ${Math.round(s.durationMs / 1000)} s, ${s.turns} turns`,
    );
  };
}
