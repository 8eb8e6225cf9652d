/**
 * OpenAI Realtime wire cost: parsing server frames (zod) and building appends, per frame; then N
 * realtime connections against the local GA server in this one process, each a caller talking in
 * real time (20 ms frames) and hearing answers, with the process's CPU and event-loop delay.
 * Prints figures only; never asserts timings.
 * Run: npx tsx bench/realtime-wire.bench.ts [seconds per step, default 10] [N list, default 100,300]
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectOpenAiRealtime, type RealtimeConnection } from '../src/providers/realtime/index.js';
import { parseServerFrame } from '../src/providers/realtime/openai-realtime.js';
import { silentLogger } from '../src/shared/index.js';
import { mulawSilenceB64, mulawTone, startFakeRealtime } from '../test/support/fake-openai-realtime.js';

const seconds = Number(process.argv[2] ?? 10);
const steps = (process.argv[3] ?? '100,300').split(',').map(Number);

function perOp(fn: () => unknown, n: number): number {
  for (let i = 0; i < n / 10; i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  return ((performance.now() - t0) * 1000) / n; // microseconds
}

// -- per frame ------------------------------------------------------------------------------------
const delta = JSON.stringify({
  type: 'response.output_audio.delta',
  event_id: 'event_abc123',
  response_id: 'resp_abc',
  item_id: 'item_abc',
  output_index: 0,
  content_index: 0,
  delta: Buffer.alloc(800, 0x9f).toString('base64'), // 100 ms of mu-law, the fake's chunk
});
const started = JSON.stringify({
  type: 'input_audio_buffer.speech_started',
  event_id: 'event_1',
  audio_start_ms: 1200,
  item_id: 'item_1',
});
const unknown = JSON.stringify({
  type: 'response.content_part.added',
  event_id: 'e',
  part: { type: 'audio' },
});
const payload = Buffer.alloc(160, 0x7f).toString('base64'); // one Twilio frame

console.log('per frame (microseconds, median of one long run)');
console.log(
  `  parse output_audio.delta (100 ms mu-law)  ${perOp(() => parseServerFrame(delta), 200_000).toFixed(2)}`,
);
console.log(
  `  JSON.parse alone, same frame               ${perOp(() => JSON.parse(delta), 200_000).toFixed(2)}`,
);
console.log(
  `  parse speech_started                       ${perOp(() => parseServerFrame(started), 200_000).toFixed(2)}`,
);
console.log(
  `  parse an unknown type (dropped)            ${perOp(() => parseServerFrame(unknown), 200_000).toFixed(2)}`,
);
console.log(
  `  append frame as text (what the client does) ${perOp(() => Buffer.byteLength(`{"type":"input_audio_buffer.append","audio":"${payload}"}`), 1_000_000).toFixed(3)}`,
);
console.log(
  `  append frame via JSON.stringify            ${perOp(() => Buffer.byteLength(JSON.stringify({ type: 'input_audio_buffer.append', audio: payload })), 1_000_000).toFixed(3)}`,
);

// -- N live connections ------------------------------------------------------------------------
const fake = await startFakeRealtime({ recordAudio: false });
fake.reply = () => ({ say: 'Sure, a technician can come tomorrow morning. Does that work?' });
const settings = {
  apiKey: fake.apiKey,
  baseUrl: fake.baseUrl,
  realtimeModel: 'gpt-realtime',
  realtimeVoice: 'marin',
};
const speech = mulawTone(20);
const silence = mulawSilenceB64(20);

console.log(
  `\n${seconds} s per step; each connection: 1.5 s speech then 2.5 s silence, repeated, phases spread;` +
    ' answers ~3.7 s of audio, sent faster than real time; loop delay sampled every 1 ms',
);
console.log(
  '  N     connect p50/max ms   CPU %   loop delay p50/p99/max ms   events/s   audio ms in/out per s per conn',
);
for (const n of steps) {
  const acs: AbortController[] = [];
  const conns: RealtimeConnection[] = [];
  const connectMs: number[] = [];
  let events = 0;
  let audioOutBytes = 0;
  let failures = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    try {
      const ac = new AbortController(); // one per call, as the bridge has
      acs.push(ac);
      const c = await connectOpenAiRealtime({
        settings,
        signal: ac.signal,
        log: silentLogger,
        connectTimeoutMs: 5000,
      });
      connectMs.push(performance.now() - t0);
      c.updateSession({
        instructions: 'Be brief.',
        voice: 'marin',
        turnDetection: { type: 'server_vad', threshold: 0.5, prefixPaddingMs: 300, silenceDurationMs: 500 },
        tools: [],
      });
      conns.push(c);
      void (async () => {
        try {
          for await (const e of c.events) {
            events++;
            if (e.type === 'response.output_audio.delta') audioOutBytes += (e.delta.length * 3) / 4;
          }
        } catch {
          failures++;
        }
      })();
    } catch (err) {
      if (failures++ === 0) console.log(`  connect failed: ${String(err)}`);
    }
  }
  connectMs.sort((a, b) => a - b);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  events = 0;
  audioOutBytes = 0;
  // One timer for all connections: every 20 ms each sends its frame, speech or silence by its own
  // phase (spread over the 4 s cycle, so the calls do not all talk and get answers at once).
  let tick = 0;
  const timer = setInterval(() => {
    const t = tick++ * 20;
    conns.forEach((c, i) =>
      c.appendAudio((t + i * 20 * Math.floor(200 / conns.length)) % 4000 < 1500 ? speech : silence),
    );
  }, 20);
  await sleep(seconds * 1000);
  clearInterval(timer);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  loop.disable();
  const sentMs = tick * 20;
  console.log(
    `  ${String(n).padEnd(5)} ${`${connectMs[Math.floor(connectMs.length / 2)]?.toFixed(1)}/${connectMs.at(-1)?.toFixed(1)}`.padEnd(20)} ${((100 * (cpu.user + cpu.system)) / 1000 / wall).toFixed(0).padStart(5)}   ${`${(loop.percentile(50) / 1e6).toFixed(1)}/${(loop.percentile(99) / 1e6).toFixed(1)}/${(loop.max / 1e6).toFixed(1)}`.padEnd(27)} ${String(Math.round((events * 1000) / wall)).padStart(8)}   ${((sentMs * 1000) / wall).toFixed(0)}/${((audioOutBytes / 8 / conns.length) * (1000 / wall)).toFixed(0)}${failures ? `   failures ${failures}` : ''}`,
  );
  for (const c of conns) c.close();
  for (const ac of acs) ac.abort();
  await sleep(500);
}
await fake.close();
