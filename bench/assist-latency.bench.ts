/**
 * Agent assist, measured as the agent lives it: an in-process Switchboard on the embedded default
 * (PGlite in a temp DATA_DIR, Silero VAD, PocketSphinx, default settings), one agent socket on
 * /assist/agent (Bearer key, the demo business), and simulated two-track calls placed as Twilio
 * places them (POST /twilio/assist/voice, <Start><Stream both_tracks>, real-time 20 ms frames).
 *
 *   npx tsx bench/assist-latency.bench.ts [--voices a,b] [--calls N] [--concurrency 1] [--line clean|phone] [--all-calls]
 *
 * Voices (bench/offline-eval/voices.ts): by default 2 tuning voices on the tuning calls and 2
 * held-out voices on the held-out calls (bench/assist/*-calls.ts); `--voices` picks others (each on
 * its own split's calls, or on both with --all-calls). `--calls N`: the first N calls of each set.
 *
 * Prints, per split and per voice: end of the customer's voice → the first card on the agent's
 * socket for that utterance (p50/p95/max; cards that arrived before the voice ended count 0 ms and
 * are also counted apart), the same for the expected intent's card, intents found per intent and
 * overall, and false intent cards on small-talk calls. Writes bench/assist/results/latest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { simulateAssistedCall } from '../src/sim/assisted-call.js';
import { startTestServer } from '../test/support/test-server.js';
import { AgentFeed } from './assist/agent-feed.js';
import { callsOf, type AssistTestCall, type Split } from './assist/calls.js';
import {
  callAudio,
  scoreCall,
  summarize,
  type CallScore,
  type GroupSummary,
  type LatencySummary,
} from './assist/runner.js';
import { CONDITIONS, type Condition } from './offline-eval/channel.js';
import { ALL_VOICES, isInstalled, type EvalVoice } from './offline-eval/voices.js';

const { values } = parseArgs({
  options: {
    voices: { type: 'string' },
    calls: { type: 'string' },
    concurrency: { type: 'string', default: '1' },
    line: { type: 'string', default: 'clean' },
    'all-calls': { type: 'boolean', default: false },
    out: { type: 'string', default: path.join('bench', 'assist', 'results', 'latest.json') },
  },
});

const DEFAULT_VOICES = ['festival:kal_diphone', 'espeak:en-us+m3', 'flite:awb', 'espeak:en-us+f3'];
const CUSTOMER_NUMBER = '+12125550100';
const BUSINESS_NUMBER = '+15005550006';

const line = values.line as Condition;
if (!CONDITIONS.includes(line)) throw new Error(`--line must be one of ${CONDITIONS.join(', ')}`);
const concurrency = Math.max(1, Number(values.concurrency));
const limit = values.calls !== undefined ? Number(values.calls) : Infinity;

const voices: EvalVoice[] = (values.voices?.split(',') ?? DEFAULT_VOICES).map((id) => {
  const v = ALL_VOICES.find((x) => x.id === id.trim());
  if (!v) throw new Error(`unknown voice ${id} (see bench/offline-eval/voices.ts)`);
  if (!isInstalled(v)) throw new Error(`voice ${id} is not installed here`);
  return v;
});
const splitsOf = (v: EvalVoice): Split[] =>
  values['all-calls'] ? ['tuning', 'heldout'] : [v.tuning ? 'tuning' : 'heldout'];
const jobs: Array<{ voice: EvalVoice; call: AssistTestCall }> = voices.flatMap((voice) =>
  splitsOf(voice).flatMap((split) =>
    callsOf(split)
      .slice(0, limit)
      .map((call) => ({ voice, call })),
  ),
);

const ASSIST_KEY = 'bench-assist-key-0123456789abcdef';
const server = await startTestServer({ ASSIST_API_KEY: ASSIST_KEY });
const feed = await AgentFeed.open(server.baseUrl, ASSIST_KEY);
const sim = { baseUrl: server.baseUrl, authToken: server.app.twilioAuthToken };

async function run(voice: EvalVoice, call: AssistTestCall): Promise<CallScore> {
  const audio = await callAudio(call, voice, line);
  const report = await simulateAssistedCall(sim, {
    from: CUSTOMER_NUMBER,
    to: BUSINESS_NUMBER,
    turns: audio.turns,
    tailMs: 2000,
    ...(audio.customerSilence
      ? { silence: (t) => (t === 'inbound' ? audio.customerSilence!() : new Uint8Array(160).fill(0xff)) }
      : {}),
  });
  if (report.answered !== 'assist') throw new Error(`call ${call.id} was not assisted: ${report.answered}`);
  // The session drains its listeners at the end: the last words' cards come before call-ended.
  await feed.ended(report.callSid, 10_000);
  return scoreCall(call, voice, line, report, feed.call(report.callSid));
}

const fmt = (n: number | undefined) => (n === undefined ? '   -' : String(Math.round(n)).padStart(4));
const rate = (f: { found: number; of: number } | undefined) =>
  f && f.of > 0 ? `${((100 * f.found) / f.of).toFixed(0)}% (${f.found}/${f.of})` : '-';

const early = (l: LatencySummary) =>
  l.beforeEndByMs ? ` by p50 ${l.beforeEndByMs.p50} ms, max ${l.beforeEndByMs.max} ms` : '';

function print(title: string, g: GroupSummary): void {
  const l = g.intentLatency;
  const a = g.anyCardLatency;
  console.log(`\n== ${title}: ${g.calls} calls`);
  console.log(
    `  voice end -> intent card  p50 ${fmt(l.p50)} ms  p95 ${fmt(l.p95)} ms  max ${fmt(l.max)} ms  (n ${l.n}; before the end ${l.beforeEnd}${early(l)}; none ${l.none})`,
  );
  console.log(
    `  voice end -> first card   p50 ${fmt(a.p50)} ms  p95 ${fmt(a.p95)} ms  max ${fmt(a.max)} ms  (n ${a.n}; before the end ${a.beforeEnd}${early(a)}; none ${a.none})`,
  );
  const per = Object.entries(g.intents)
    .map(([i, f]) => `${i} ${rate(f)}`)
    .join(', ');
  console.log(`  intents found: ${rate(g.overall)} overall; ${per}`);
  console.log(
    `  small talk: ${g.smallTalk.withFalseCard}/${g.smallTalk.calls} calls with a false intent card (${g.smallTalk.falseCards} cards); wrong-intent cards on intent calls: ${g.wrongIntentCards}`,
  );
}

const started = performance.now();
const scores: CallScore[] = [];
try {
  // One call first, not scored: the recognizer's models load on the first stream.
  if (jobs[0]) await run(jobs[0].voice, jobs[0].call);
  console.log(
    `assist latency bench: ${jobs.length} calls, ${voices.map((v) => v.id).join(', ')}, line ${line}, concurrency ${concurrency}, ${cpus().length} CPUs`,
  );
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        const s = await run(job.voice, job.call);
        scores.push(s);
        const miss = Object.entries(s.found)
          .filter(([, ok]) => !ok)
          .map(([i]) => i);
        const u = s.utterances.find((x) => x.intentCardMs !== undefined);
        console.log(
          `  ${s.voice.padEnd(26)} ${s.id.padEnd(26)} ${miss.length ? 'MISSED ' + miss.join(',') : s.expected.length ? 'found' : 'small talk'}` +
            `${u ? ` ${Math.round(u.intentCardMs!)} ms${u.intentCardBeforeEnd ? ` (${-u.intentCardSignedMs!} ms before the end)` : ''}` : ''}` +
            `${s.unexpectedIntents.length ? ` false: ${s.unexpectedIntents.join(',')}` : ''}`,
        );
      }
    }),
  );
} finally {
  feed.close();
  await server.stop();
}

const bySplit = Object.fromEntries(
  (['tuning', 'heldout'] as const)
    .map((sp) => [sp, scores.filter((s) => s.split === sp)] as const)
    .filter(([, xs]) => xs.length > 0)
    .map(([sp, xs]) => [sp, summarize(xs)]),
);
const byVoice = Object.fromEntries(
  voices.map((v) => [v.id, summarize(scores.filter((s) => s.voice === v.id))] as const),
);
for (const [sp, g] of Object.entries(bySplit)) print(`split ${sp}`, g);
for (const [v, g] of Object.entries(byVoice)) print(`voice ${v}`, g);
const all = summarize(scores);
print('all calls', all);
console.log(`\n${scores.length} calls in ${((performance.now() - started) / 1000).toFixed(0)} s`);

mkdirSync(path.dirname(values.out), { recursive: true });
writeFileSync(
  values.out,
  JSON.stringify(
    {
      at: new Date().toISOString(),
      settings: {
        voices: voices.map((v) => v.id),
        line,
        concurrency,
        calls: jobs.length,
        allCalls: values['all-calls'],
      },
      all,
      bySplit,
      byVoice,
      calls: scores,
    },
    null,
    2,
  ) + '\n',
);
console.log(`written: ${values.out}`);
