/**
 * Failover: how long a caller waits for an answer when a cloud provider fails during their turn,
 * against the healthy cloud call. Whole simulated calls through a real server (Deepgram and
 * ElevenLabs, or OpenAI Realtime, as local servers; PocketSphinx and flite behind them), a
 * festival caller; the wait is the caller's: from their last word to the first agent audio that
 * reaches them.
 * Run: npx tsx bench/failover.bench.ts [calls per case, default 3]. Prints figures only.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { festivalCallerAudio } from '../src/sim/caller-audio.js';
import { parseCallScript } from '../src/sim/script.js';
import { simulateCall } from '../src/sim/simulated-call.js';
import { startFakeDeepgram, type FakeDeepgram } from '../test/support/fake-deepgram.js';
import { startFakeElevenLabs, type FakeElevenLabs } from '../test/support/fake-elevenlabs.js';
import { startFakeRealtime, type FakeRealtime } from '../test/support/fake-openai-realtime.js';
import { startTestServer } from '../test/support/test-server.js';

const CALLS = Number(process.argv[2] ?? 3);
const VOICE = 'EXAVITQu4vr4xnSDxMaL';
const STALL_MS = 1500;
const LINE = 'Are you open on Saturday?';

interface Case {
  name: string;
  /** Runs alongside the call: breaks a vendor at the right moment. */
  fault(dg: FakeDeepgram, el: FakeElevenLabs): Promise<void>;
}

/** The fake takes a turn's words when it hears the turn start: the caller is mid-sentence. */
const callerSpeaking = async (dg: FakeDeepgram) => {
  while (dg.listen.transcripts.length > 0) await sleep(10);
};

const cases: Case[] = [
  { name: 'healthy (deepgram + elevenlabs)', fault: async () => undefined },
  {
    name: 'deepgram socket killed mid-turn',
    fault: async (dg) => {
      await callerSpeaking(dg);
      await sleep(300);
      dg.killAllSessions();
    },
  },
  {
    name: `deepgram stalls mid-turn (switch at ${STALL_MS} ms)`,
    fault: async (dg) => {
      await callerSpeaking(dg);
      for (const s of dg.openSessions()) s.stall();
    },
  },
  {
    name: 'elevenlabs answers 500 from the answer on',
    fault: async (dg, el) => {
      await callerSpeaking(dg);
      el.controls.failAll({ kind: 'status', status: 500 });
    },
  },
  {
    name: `elevenlabs stalls from the answer on (switch at ${STALL_MS} ms)`,
    fault: async (dg, el) => {
      await callerSpeaking(dg);
      el.controls.failAll({ kind: 'stall-before-headers' });
    },
  },
];

/** One simulated call on `server` while `fault` runs: the caller's wait and the switches stored. */
async function oneCall(
  server: Awaited<ReturnType<typeof startTestServer>>,
  fault: Promise<void>,
  waits: number[],
  switches: string[],
): Promise<void> {
  const report = await simulateCall(parseCallScript({ turns: [{ say: LINE }], hangupAfterMs: 300 }), {
    baseUrl: server.baseUrl,
    authToken: server.app.twilioAuthToken,
    apiKey: server.app.apiKey,
    callerAudio: festivalCallerAudio('ked_diphone'),
  });
  await fault;
  const wait = report.turns[0]?.latencyMs;
  if (wait !== undefined) waits.push(wait);
  const call = (
    report.serverCall as { call?: { events?: Array<{ type: string; payload: Record<string, unknown> }> } }
  )?.call;
  for (const e of call?.events ?? [])
    if (e.type === 'provider-switched')
      switches.push(`${e.payload['kind']}: ${e.payload['from']} -> ${e.payload['to']}`);
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const results: Array<{ name: string; waits: number[]; switches: string[] }> = [];

for (const c of cases) {
  const waits: number[] = [];
  const switches: string[] = [];
  for (let i = 0; i < CALLS; i++) {
    const dg = await startFakeDeepgram();
    const el = await startFakeElevenLabs({ voices: [VOICE], msPerChar: 30 });
    const server = await startTestServer({
      LOG_LEVEL: 'silent',
      STT_PROVIDERS: 'deepgram,pocketsphinx',
      TTS_PROVIDERS: 'elevenlabs,flite',
      PROVIDER_STALL_MS: String(STALL_MS),
      DEEPGRAM_API_KEY: dg.apiKey,
      DEEPGRAM_BASE_URL: dg.baseUrl,
      ELEVENLABS_API_KEY: el.apiKey,
      ELEVENLABS_BASE_URL: el.baseUrl,
      ELEVENLABS_VOICE_ID: VOICE,
    });
    try {
      dg.listen.transcripts.push(LINE);
      const fault = c.fault(dg, el);
      await oneCall(server, fault, waits, switches);
    } finally {
      await server.stop();
      await dg.close();
      await el.close();
    }
  }
  results.push({ name: c.name, waits, switches });
  console.log(`${c.name}: waits ${waits.map((w) => Math.round(w)).join(', ')} ms`);
}

// ---- Realtime: the session fails after the caller's turn; the pipeline takes the call over ----
interface RealtimeCase {
  name: string;
  fault(rt: FakeRealtime): Promise<void>;
}
/** The greeting's response is done at the local server: the caller's turn comes next. */
const greeted = async (rt: FakeRealtime) => {
  while (!rt.sessions[0]?.responses.some((r) => r.status === 'completed')) await sleep(10);
};
const realtimeCases: RealtimeCase[] = [
  { name: 'realtime healthy', fault: async () => undefined },
  {
    name: 'realtime socket killed once the caller stopped',
    fault: async (rt) => {
      await greeted(rt);
      // The caller's words are taken when their turn is transcribed, right after it ends.
      while (rt.transcripts.length > 0) await sleep(5);
      rt.controls.destroyAll();
    },
  },
  {
    name: `realtime stalls after the caller's turn (switch at ${STALL_MS} ms)`,
    fault: async (rt) => {
      await greeted(rt);
      rt.controls.stallResponses = true;
    },
  },
];
for (const c of realtimeCases) {
  const waits: number[] = [];
  const switches: string[] = [];
  for (let i = 0; i < CALLS; i++) {
    const rt = await startFakeRealtime({ recordAudio: false });
    const server = await startTestServer({
      LOG_LEVEL: 'silent',
      VOICE_MODE: 'realtime',
      PROVIDER_STALL_MS: String(STALL_MS),
      OPENAI_API_KEY: rt.apiKey,
      OPENAI_BASE_URL: rt.baseUrl,
    });
    try {
      rt.transcripts.push(LINE);
      const fault = c.fault(rt);
      await oneCall(server, fault, waits, switches);
    } finally {
      await server.stop();
      await rt.close();
    }
  }
  results.push({ name: c.name, waits, switches });
  console.log(`${c.name}: waits ${waits.map((w) => Math.round(w)).join(', ')} ms`);
}

const base = pct(results[0]!.waits, 0.5);
const realtimeBase = pct(results.find((r) => r.name === 'realtime healthy')!.waits, 0.5);
console.log(
  `\nCaller's wait from their last word to the first agent audio, ${CALLS} calls per case (PROVIDER_STALL_MS=${STALL_MS}):`,
);
console.log('| case | p50 ms | max ms | added over its healthy p50 (ms) | switches |');
console.log('|---|---|---|---|---|');
for (const r of results) {
  const p50 = pct(r.waits, 0.5);
  const max = Math.max(...r.waits);
  const uniq = [...new Set(r.switches)].join('; ') || 'none';
  const healthy = r.name.startsWith('realtime') ? realtimeBase : base;
  console.log(
    `| ${r.name} | ${Math.round(p50)} | ${Math.round(max)} | ${Math.round(max - healthy)} (max) | ${uniq} |`,
  );
}
