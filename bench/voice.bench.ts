/**
 * Voice agent figures on the embedded default (offline VAD, STT, TTS, rules brain), measured the
 * way a caller lives them: a real server in its own process, called by the simulator over
 * loopback with espeak-ng caller voices.
 *
 *   npm run build && npx tsx bench/voice.bench.ts [--calls 6] [--max-concurrency 20]
 *
 * Prints: end of caller speech -> first agent audio (p50/p95), the same minus the silence
 * window (processing), barge-in reaction (caller speech onset -> clear), server CPU per second
 * of call, and p95 latency by number of concurrent calls.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readLocalSecrets } from '../src/local-secrets.js';
import { createFliteTts } from '../src/providers/tts/index.js';
import { defaultCallerAudio } from '../src/sim/caller-audio.js';
import { parseCallScript, type CallScript } from '../src/sim/script.js';
import { simulateCall, type SimulationReport, type SimulatorDeps } from '../src/sim/simulated-call.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '6' },
    'max-concurrency': { type: 'string', default: '20' },
  },
});

const CONVERSATION = parseCallScript({
  turns: [
    { say: 'What are your hours?' },
    { say: 'Are you open on Saturday?' },
    { say: 'Thank you, goodbye.' },
  ],
  hangupAfterMs: 500,
});
/** Interruptions with different onsets (fricatives, stops, vowels): the VAD hears them differently. */
const INTERRUPTIONS = [
  'Sorry, are you open on Saturday?',
  'Wait, I have a question.',
  'Hold on, what about Sunday?',
  'Actually, I need a plumber today.',
  'Excuse me, how much is a drain cleaning?',
  'No, I mean on the weekend.',
];
const bargeIn = (i: number) =>
  parseCallScript({
    turns: [
      { say: 'What are your hours?' },
      { say: INTERRUPTIONS[i % INTERRUPTIONS.length]!, bargeInAfterMs: 1200 },
    ],
    hangupAfterMs: 500,
  });

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const fmt = (n: number) => (Number.isFinite(n) ? `${Math.round(n)} ms` : 'n/a');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

async function startServer(): Promise<{ child: ChildProcess; baseUrl: string; dataDir: string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sb-bench-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['bin/switchboard.js', 'serve'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: baseUrl,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('listening')) resolve();
    });
  });
  return { child, baseUrl, dataDir };
}

interface Figures {
  e2e: number[];
  processing: number[];
  bargeIn: number[];
  callSeconds: number;
}

function collect(reports: SimulationReport[], into: Figures): void {
  for (const r of reports) {
    into.callSeconds += r.recording.caller.length / 8000;
    for (const t of r.turns) {
      if (t.bargeIn && t.clearAfterMs !== undefined) into.bargeIn.push(t.clearAfterMs);
      else if (!t.bargeIn && t.latencyMs !== undefined) into.e2e.push(t.latencyMs);
    }
    const turns =
      (
        r.serverCall as {
          call?: { turns?: Array<{ latency?: { endpointingMs: number; firstFrameSentMs?: number } | null }> };
        }
      )?.call?.turns ?? [];
    for (const t of turns) {
      const l = t.latency;
      if (l?.firstFrameSentMs !== undefined) into.processing.push(l.firstFrameSentMs - l.endpointingMs);
    }
  }
}

async function main(): Promise<void> {
  const server = await startServer();
  const secrets = readLocalSecrets(server.dataDir);
  if (!secrets) throw new Error('server made no local secrets');
  const deps: SimulatorDeps = {
    baseUrl: server.baseUrl,
    authToken: secrets.twilioAuthToken,
    apiKey: secrets.apiKey,
    callerAudio: await defaultCallerAudio(() => createFliteTts({ voice: 'rms' })),
  };
  const run = (script: CallScript) => simulateCall(script, deps);
  try {
    await run(parseCallScript({ turns: [], hangupAfterMs: 100 })); // warm-up
    const calls = Number(values.calls);
    const single: Figures = { e2e: [], processing: [], bargeIn: [], callSeconds: 0 };
    const cpuBefore = cpuSeconds(server.child.pid!);
    for (let i = 0; i < calls; i++)
      collect([await run(i % 2 === 0 ? CONVERSATION : bargeIn(i >> 1))], single);
    const cpuUsed = cpuSeconds(server.child.pid!) - cpuBefore;

    console.log(
      `\nSwitchboard voice bench: ${calls} sequential calls, embedded default (offline VAD/STT/TTS, rules brain)`,
    );
    console.log(
      `  end of caller speech -> first agent audio   p50 ${fmt(pct(single.e2e, 50))}  p95 ${fmt(pct(single.e2e, 95))}  (n=${single.e2e.length})`,
    );
    console.log(
      `  processing (same, minus silence window)     p50 ${fmt(pct(single.processing, 50))}  p95 ${fmt(pct(single.processing, 95))}  (n=${single.processing.length})`,
    );
    console.log(
      `  barge-in reaction (speech onset -> clear)   p50 ${fmt(pct(single.bargeIn, 50))}  p95 ${fmt(pct(single.bargeIn, 95))}  (n=${single.bargeIn.length})`,
    );
    console.log(
      `  server CPU per second of call               ${((cpuUsed / single.callSeconds) * 1000).toFixed(1)} ms (${single.callSeconds.toFixed(0)} s of calls)`,
    );

    console.log('\n  concurrent calls   p50 e2e    p95 e2e    p95 processing');
    const baseline = pct(single.e2e, 95);
    for (const n of [1, 2, 5, 10, 15, 20, 30].filter((k) => k <= Number(values['max-concurrency']))) {
      const f: Figures = { e2e: [], processing: [], bargeIn: [], callSeconds: 0 };
      collect(await Promise.all(Array.from({ length: n }, () => run(CONVERSATION))), f);
      const p95 = pct(f.e2e, 95);
      console.log(
        `  ${String(n).padStart(16)}   ${fmt(pct(f.e2e, 50)).padStart(8)}   ${fmt(p95).padStart(8)}   ${fmt(pct(f.processing, 95)).padStart(8)}${p95 > 2 * baseline ? '   <- p95 doubled' : ''}`,
      );
      if (p95 > 2 * baseline) break;
    }
  } finally {
    server.child.kill('SIGTERM');
    await new Promise((r) => server.child.once('exit', r));
    rmSync(server.dataDir, { recursive: true, force: true });
  }
}

await main();
