import { createFliteTts } from '../../src/providers/tts/index.js';
import { callerAudioSource } from '../../src/sim/caller-audio.js';
import { parseCallScript, type CallScript } from '../../src/sim/script.js';
import { simulateCall, type CallerAudio } from '../../src/sim/simulated-call.js';

/**
 * Conversations on the offline pipeline for load benches: `n` callers at once, each placing one
 * call after another until `seconds` are over, through the simulator (src/sim: signed webhook,
 * stream, paced frames, marks, clears). Callers say flite "rms" phrases rendered before the run
 * (so synthesis is not in the figures), with pauses between turns.
 */

export interface OfflineRun {
  n: number;
  seconds: number;
  baseUrl: string;
  authToken: string;
  onMeasuring?: () => void | Promise<void>;
  /** Called when `seconds` are over, while the last calls are still on. */
  onMeasured?: () => void | Promise<void>;
}

export interface OfflineResult {
  calls: number;
  failed: number;
  turns: number;
  /** End of the caller's speech to the first agent audio frame received, ms, per spoken turn. */
  latencies: number[];
}

const SCRIPTS: CallScript[] = [
  parseCallScript({
    turns: [
      { say: 'Hi, what are your hours?' },
      { silenceMs: 1500 },
      { say: 'Do you fix water heaters?' },
      { say: 'Thank you, goodbye.' },
    ],
    hangupAfterMs: 500,
    agentQuietMs: 800,
    maxDurationMs: 60_000,
  }),
  parseCallScript({
    turns: [
      { say: 'My kitchen sink is leaking.' },
      { silenceMs: 1000 },
      { say: 'How much does a visit cost?' },
      { say: 'Okay, thanks.' },
    ],
    hangupAfterMs: 500,
    agentQuietMs: 800,
    maxDurationMs: 60_000,
  }),
];

export async function runOfflineCallers(run: OfflineRun): Promise<OfflineResult> {
  const voice = callerAudioSource(await createFliteTts({ voice: 'rms' }));
  const rendered = new Map<string, CallerAudio>();
  for (const s of SCRIPTS)
    for (const t of s.turns) if (t.say) rendered.set(t.say, await voice({ say: t.say }));
  const deps = {
    baseUrl: run.baseUrl,
    authToken: run.authToken,
    callerAudio: async (turn: { say?: string }) => rendered.get(turn.say ?? '') ?? voice(turn),
  };
  const result: OfflineResult = { calls: 0, failed: 0, turns: 0, latencies: [] };
  await run.onMeasuring?.();
  const end = performance.now() + run.seconds * 1000;
  const measured = new Promise<void>((resolve) =>
    setTimeout(() => void Promise.resolve(run.onMeasured?.()).then(resolve), run.seconds * 1000),
  );
  await Promise.all(
    Array.from({ length: run.n }, async (_, i) => {
      // Callers start 300 ms apart, not in phase.
      await new Promise((r) => setTimeout(r, i * 300));
      for (let k = i; performance.now() < end; k++) {
        try {
          const report = await simulateCall(SCRIPTS[k % SCRIPTS.length]!, deps);
          result.calls++;
          for (const t of report.turns) {
            if (t.kind !== 'say') continue;
            result.turns++;
            if (t.latencyMs !== undefined) result.latencies.push(t.latencyMs);
          }
        } catch {
          result.failed++;
        }
      }
    }),
  );
  await measured;
  return result;
}
