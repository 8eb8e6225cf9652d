/**
 * The offline evaluation: simulated callers (tuning/ and heldout/ scenarios) in offline voices
 * (voices.ts), clean and through a telephone line (channel.ts), each call a dialogue through the
 * real offline stack (stack.ts, simulate-call.ts). Prints the figures per split x voice x
 * condition (report.ts) and writes them to bench/offline-eval/results/<label>.json.
 *
 *   npx tsx bench/offline-eval/run.ts                         both splits, default voices (~40 min, 2 cores)
 *   npx tsx bench/offline-eval/run.ts --split tune --quick    a few minutes: for tuning
 *   npx tsx bench/offline-eval/run.ts --split heldout --label after --jobs 2
 *   npx tsx bench/offline-eval/run.ts --voices espeak:en-us,flite:awb --conditions phone
 *   npx tsx bench/offline-eval/run.ts --all-voices            every installed voice (hours)
 *   npx tsx bench/offline-eval/run.ts --list-voices
 *   options: --scenarios ID,ID (substrings)  --speed N|max  --turns (keep tuning transcripts)
 *            --compare before (this run beside results/before.json)
 *
 * Splits: `tune` runs the tuning scenarios in voices the project was tuned on (TUNE_DEFAULT, or all
 * seven with --all-voices); `heldout` runs the held-out scenarios in voices never tuned on
 * (HELDOUT_DEFAULT). Held-out transcripts are never printed or kept: only their aggregate figures.
 * With --turns, tuning transcripts go to results/<label>.tune-turns.jsonl (not committed).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CONDITIONS, type Condition } from './channel.js';
import { buildReport, printComparison, printReport, type Report } from './report.js';
import type { Scenario } from './scenario.js';
import { simulateCall, type CallResult } from './simulate-call.js';
import { buildStack } from './stack.js';
import { TUNING_SCENARIOS } from './tuning/scenarios.js';
import { ALL_VOICES, installedVoices, TUNING_VOICES, type EvalVoice } from './voices.js';

/** Monday 2 March 2026, 15:00 UTC: 10 a.m. in New York, 9 a.m. in Chicago; both businesses open. */
export const EVAL_NOW = new Date('2026-03-02T15:00:00Z');

/**
 * Voices run by default: all 82 held-out voices would take hours on 2 cores, and the whole matrix
 * must fit in about 40 minutes on a busy 2-core machine. Held out: Debian's 8 kHz festival voices,
 * two of our flite voices, and two espeak-ng accents the tuning never used (--all-voices or
 * --voices for others). Tuning: three of the seven (one espeak, festival's HTS and a diphone voice).
 */
export const HELDOUT_DEFAULT = [
  'festival:kal_diphone_8k',
  'festival:ked_diphone_8k',
  'flite:awb',
  'flite:rms',
  'espeak:en-gb-x-rp+m2',
  'espeak:en-029+m5',
];
export const TUNE_DEFAULT = ['espeak:en-us', 'festival:cmu_us_slt_arctic_hts', 'festival:kal_diphone'];
/** --quick: a taste of each split. */
const QUICK = {
  tune: ['espeak:en-us', 'festival:kal_diphone'],
  heldout: ['flite:awb', 'espeak:en-gb-x-rp+m2'],
  scenarios: 12,
};

interface Job {
  readonly scenario: Scenario;
  readonly voice: EvalVoice;
  readonly condition: Condition;
}

const HERE = fileURLToPath(new URL('.', import.meta.url));

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);

async function heldoutScenarios(): Promise<Scenario[]> {
  try {
    // Run, never read: whatever array of scenarios the held-out module exports.
    const mod = (await import('./heldout/scenarios.js' as string)) as Record<string, unknown>;
    const list = Object.values(mod).find((v) => Array.isArray(v)) as Scenario[] | undefined;
    return (list ?? []).filter((s) => s.split === 'heldout');
  } catch {
    return [];
  }
}

/** Every nth, so a quick run still has each kind. */
function spread<T>(xs: readonly T[], n: number): T[] {
  if (xs.length <= n) return [...xs];
  return Array.from({ length: n }, (_, i) => xs[Math.floor((i * xs.length) / n)]!);
}

async function plan(): Promise<{ jobs: Job[]; settings: Record<string, unknown> }> {
  const split = (arg('split') ?? 'all') as 'tune' | 'heldout' | 'all';
  const quick = flag('quick');
  const conditions = (arg('conditions')?.split(',') ?? [...CONDITIONS]) as Condition[];
  for (const c of conditions) if (!CONDITIONS.includes(c)) throw new Error(`unknown condition ${c}`);
  const installed = new Map(installedVoices().map((v) => [v.id, v]));
  const pick = (ids: readonly string[]) =>
    ids.map((id) => {
      const v = installed.get(id);
      if (!v) throw new Error(`voice ${id} is not installed (or unknown); --list-voices lists them`);
      return v;
    });
  const asked = arg('voices')?.split(',');
  const heldoutVoiceList = flag('all-voices')
    ? [...installed.values()].filter((v) => !v.tuning)
    : pick(quick ? QUICK.heldout : HELDOUT_DEFAULT);
  const tuneVoiceList = pick(
    quick ? QUICK.tune : flag('all-voices') ? TUNING_VOICES.map((v) => v.id) : TUNE_DEFAULT,
  );
  const only = arg('scenarios')?.split(',');
  const limit = (xs: Scenario[]) => {
    const chosen = only ? xs.filter((s) => only.some((o) => s.id.includes(o))) : xs;
    return quick ? spread(chosen, QUICK.scenarios) : chosen;
  };
  const jobs: Job[] = [];
  const add = (scenarios: Scenario[], voices: EvalVoice[]) => {
    for (const scenario of scenarios)
      for (const voice of voices)
        for (const condition of conditions) jobs.push({ scenario, voice, condition });
  };
  const heldout = split === 'tune' ? [] : limit(await heldoutScenarios());
  if (split !== 'heldout')
    add(limit([...TUNING_SCENARIOS]), asked ? pick(asked).filter((v) => v.tuning) : tuneVoiceList);
  if (split !== 'tune') add(heldout, asked ? pick(asked).filter((v) => !v.tuning) : heldoutVoiceList);
  return {
    jobs,
    settings: {
      split,
      quick,
      conditions,
      speed: arg('speed') ?? `max, every ${LATENCY_EVERY}th call at ${PACED_SPEED}x for latency`,
      tuneVoices: [...new Set(jobs.filter((j) => j.scenario.split === 'tune').map((j) => j.voice.id))],
      heldoutVoices: [...new Set(jobs.filter((j) => j.scenario.split === 'heldout').map((j) => j.voice.id))],
      tuneScenarios: new Set(jobs.filter((j) => j.scenario.split === 'tune').map((j) => j.scenario.id)).size,
      heldoutScenarios: new Set(jobs.filter((j) => j.scenario.split === 'heldout').map((j) => j.scenario.id))
        .size,
      now: EVAL_NOW.toISOString(),
    },
  };
}

/**
 * Feeding speed. Outcomes do not depend on it; latency does (audio queued faster than the decoder
 * runs is backlog, not latency). By default every LATENCY_EVERY-th call is fed at PACED_SPEED x
 * real time, which the decoder keeps up with, and only those calls' latencies are reported; the
 * others go as fast as the machine allows. --speed N paces every call at N.
 */
const LATENCY_EVERY = 15;
const PACED_SPEED = 3;
const speedFor = (job: number): number => {
  const s = arg('speed');
  if (s !== undefined) return s === 'max' ? Infinity : Number(s);
  return job % LATENCY_EVERY === 0 ? PACED_SPEED : Infinity;
};

/** Worker: runs its share of the jobs (every jobs-th from `index`) and prints one JSON result a line. */
async function worker(index: number, of: number): Promise<void> {
  const { jobs } = await plan();
  const stack = await buildStack();
  const keepTurns = flag('turns');
  try {
    for (let i = index; i < jobs.length; i += of) {
      const { scenario, voice, condition } = jobs[i]!;
      const r = await simulateCall(stack, scenario, voice, condition, {
        now: EVAL_NOW,
        speed: speedFor(i),
        keepTurns: keepTurns && scenario.split === 'tune',
      });
      process.stdout.write(`${JSON.stringify(r)}\n`);
    }
  } finally {
    await stack.close();
  }
}

function commitOf(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: HERE, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  if (flag('list-voices')) {
    const installed = new Set(installedVoices().map((v) => v.id));
    for (const v of ALL_VOICES)
      console.log(
        `${v.id.padEnd(34)} ${v.tuning ? 'tuning ' : 'held-out'} ${installed.has(v.id) ? '' : '(not installed)'}`,
      );
    return;
  }
  const w = arg('worker');
  if (w !== undefined) return worker(Number(w), Number(arg('of') ?? 1));

  const label = arg('label') ?? 'latest';
  const jobsN = Math.max(1, Number(arg('jobs') ?? 2));
  const { jobs, settings } = await plan();
  console.log(
    `offline evaluation: ${jobs.length} calls (${settings['tuneScenarios']} tuning scenarios x ${(settings['tuneVoices'] as string[]).length} voices, ` +
      `${settings['heldoutScenarios']} held-out x ${(settings['heldoutVoices'] as string[]).length}) x ${(settings['conditions'] as string[]).join('+')}, ${jobsN} workers`,
  );
  const started = performance.now();
  const results: CallResult[] = [];
  const passOn = process.argv.slice(2).filter((a, i, all) => a !== '--jobs' && all[i - 1] !== '--jobs');
  await Promise.all(
    Array.from(
      { length: jobsN },
      (_, index) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(
            process.execPath,
            [
              ...process.execArgv,
              fileURLToPath(import.meta.url),
              ...passOn,
              '--worker',
              String(index),
              '--of',
              String(jobsN),
            ],
            {
              stdio: ['ignore', 'pipe', 'inherit'],
            },
          );
          let buf = '';
          child.stdout.on('data', (d: Buffer) => {
            buf += d.toString();
            for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
              const lineText = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              if (!lineText.startsWith('{')) continue;
              const r = JSON.parse(lineText) as CallResult;
              results.push(r);
              const done = results.length;
              if (done % 10 === 0 || done === jobs.length) {
                const el = (performance.now() - started) / 1000;
                console.log(
                  `  ${done}/${jobs.length} calls, ${el.toFixed(0)} s, ~${((el / done) * (jobs.length - done)).toFixed(0)} s left`,
                );
              }
            }
          });
          child.on('exit', (code) =>
            code === 0 ? resolve() : reject(new Error(`worker ${index} exited with ${code}`)),
          );
        }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const report = buildReport(
    label,
    commitOf(),
    { ...settings, jobs: jobsN, seconds: Math.round(seconds) },
    results,
  );
  console.log(`\n${printReport(report)}\n\n${results.length} calls in ${seconds.toFixed(0)} s`);
  const dir = `${HERE}results`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/${label}.json`, `${JSON.stringify(report, null, 2)}\n`);
  const tuneTurns = results.filter((r) => r.split === 'tune' && r.turns);
  if (tuneTurns.length > 0)
    writeFileSync(
      `${dir}/${label}.tune-turns.jsonl`,
      tuneTurns.map((r) => JSON.stringify(r)).join('\n') + '\n',
    );
  console.log(`figures written to bench/offline-eval/results/${label}.json`);
  const against = arg('compare');
  if (against !== undefined && existsSync(`${dir}/${against}.json`)) {
    const earlier = JSON.parse(readFileSync(`${dir}/${against}.json`, 'utf8')) as Report;
    console.log(`\n${printComparison(earlier, report)}`);
  }
}

await main();
