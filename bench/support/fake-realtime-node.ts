import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The local GA Realtime server in a process of its own, for load benches: a lagging fake in the
 * server's or the callers' process would show its own delay as the bridge's jitter. Every turn
 * is answered with `say`: a tone of 60 ms per character, in 100 ms deltas.
 */
export interface FakeRealtimeNode {
  baseUrl: string;
  apiKey: string;
  /** The answer's audio, in 20 ms frames. */
  answerFrames: number;
  /** CPU time the process has used so far, ms. */
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

export async function startFakeRealtimeNode(
  say = 'Sure, a technician can come tomorrow morning. Does that work?',
): Promise<FakeRealtimeNode> {
  const child = fork(fileURLToPath(new URL('./fake-realtime-child.ts', import.meta.url)), [], {
    env: { ...process.env, FAKE_REALTIME_SAY: say },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const first = await new Promise<{ baseUrl: string; apiKey: string }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { baseUrl: string; apiKey: string }));
    child.once('exit', (code) => reject(new Error(`fake Realtime server exited (${code})`)));
  });
  return {
    ...first,
    answerFrames: (say.length * 60) / 20,
    cpuMs: () =>
      new Promise<number>((resolve) => {
        const on = (m: { cpuMs?: number }) => {
          if (m.cpuMs === undefined) return;
          child.off('message', on);
          resolve(m.cpuMs);
        };
        child.on('message', on);
        child.send({ cmd: 'cpu' });
      }),
    async stop() {
      child.send({ cmd: 'exit' });
      await new Promise((r) => child.once('exit', r));
    },
  };
}
