/**
 * Emergency notifications across a crash and a provider outage, on the real server process.
 *
 * crash:  the server runs with NOTIFY_DELIVERY=live against a local fake Twilio REST server. A
 *         simulated call reports a flooding basement; the fake takes the emergency SMS and the first
 *         alert call but never answers (Twilio acted, the answer was lost). The server is killed
 *         with SIGKILL while both are in flight, then started again on the same DATA_DIR. Printed:
 *         seconds from the restart (process spawn) to the first request about each pending
 *         notification, and how many times each SMS / alert call reached the provider.
 * outage: a fresh server; the fake answers 500 to everything for 30 s from the emergency's first
 *         send (outage-500), or answers nothing at all (outage-timeouts). Printed: seconds from the
 *         provider's recovery to each notification's next request, and each one's final status.
 *
 * Run: npx tsx bench/notify-crash.bench.ts [capSeconds]   (default cap 150 s per wait)
 * The server runs from source (node --import tsx src/main.ts serve); SWITCHBOARD_BENCH_DIST=1
 * runs `node bin/switchboard.js serve` (the built dist/) instead.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FakeTwilioApi, type Fault, type RecordedRequest } from '../test/notify/support/fake-twilio-api.js';

const CAP_MS = Number(process.argv[2] ?? 150) * 1000;
const ROOT = path.resolve(import.meta.dirname, '..');
const API_KEY = 'bench-api-key-notify-crash';
const FROM = '+15005550006';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

interface Server {
  proc: ChildProcess;
  spawnedAt: number;
  listeningAt: number;
}

function envFor(api: FakeTwilioApi, dataDir: string, port: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    NOTIFY_DELIVERY: 'live',
    TWILIO_ACCOUNT_SID: api.accountSid,
    TWILIO_AUTH_TOKEN: api.authToken,
    TWILIO_FROM_NUMBER: FROM,
    TWILIO_API_BASE_URL: api.baseUrl,
    SWITCHBOARD_API_KEY: API_KEY,
  };
}

function cliArgs(...args: string[]): string[] {
  return process.env.SWITCHBOARD_BENCH_DIST
    ? [path.join(ROOT, 'bin/switchboard.js'), ...args]
    : ['--import', 'tsx', path.join(ROOT, 'src/main.ts'), ...args];
}

async function startServer(env: NodeJS.ProcessEnv, port: number): Promise<Server> {
  const spawnedAt = performance.now();
  const proc = spawn(process.execPath, cliArgs('serve'), {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stderr!.on('data', (d: Buffer) => {
    if (process.env.BENCH_VERBOSE) process.stderr.write(d);
  });
  proc.stdout!.on('data', (d: Buffer) => {
    if (process.env.BENCH_VERBOSE) process.stdout.write(d);
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('server did not start');
    await sleep(50);
  }
  return { proc, spawnedAt, listeningAt: performance.now() };
}

async function kill9(s: Server): Promise<void> {
  const exited = new Promise((r) => s.proc.once('exit', r));
  s.proc.kill('SIGKILL');
  await exited;
}

async function stop(s: Server): Promise<void> {
  if (s.proc.exitCode !== null) return;
  const exited = new Promise((r) => s.proc.once('exit', r));
  s.proc.kill('SIGTERM');
  const t = setTimeout(() => s.proc.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(t);
}

/** A simulated caller reports an emergency (the real `switchboard call` command), in the background. */
function raiseEmergency(env: NodeJS.ProcessEnv): ChildProcess {
  const args = cliArgs('call', '--say', 'My basement is flooding', '--report', '/dev/null');
  return spawn(process.execPath, args, { cwd: ROOT, env, stdio: 'ignore' });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/** Which notification a request is about: an SMS by recipient and text, an alert call by its step. */
function keyOf(r: RecordedRequest): string | undefined {
  if (r.method === 'POST' && r.path.endsWith('/Messages.json'))
    return `sms ${FakeTwilioApi.value(r, 'To')} ${(FakeTwilioApi.value(r, 'Body') ?? '').slice(0, 24)}…`;
  if (r.method === 'POST' && r.path.endsWith('/Calls.json')) {
    const cb = FakeTwilioApi.value(r, 'StatusCallback') ?? '';
    const step = /[?&]s=(\d+)/.exec(cb);
    return `call ${FakeTwilioApi.value(r, 'To')} step ${step?.[1] ?? '?'}`;
  }
  return undefined;
}

/** The kind and recipient a request concerns, a POST or a GET lookup alike. */
function targetOf(r: RecordedRequest): string | undefined {
  const u = new URL(r.path, 'http://x');
  const kind = u.pathname.endsWith('/Messages.json')
    ? 'sms'
    : u.pathname.endsWith('/Calls.json')
      ? 'call'
      : '';
  if (!kind) return undefined;
  const to = r.method === 'GET' ? u.searchParams.get('To') : FakeTwilioApi.value(r, 'To');
  return `${kind} ${to}`;
}

async function outboxRows(
  port: number,
): Promise<Array<{ kind: string; status: string; attempts: number; priority: number }>> {
  const res = await fetch(`http://127.0.0.1:${port}/api/outbox?limit=100`, {
    headers: { authorization: `Bearer ${API_KEY}` },
  });
  const body = (await res.json()) as { items?: unknown[]; notifications?: unknown[] } | unknown[];
  const items = Array.isArray(body) ? body : (body.items ?? body.notifications ?? []);
  return items as Array<{ kind: string; status: string; attempts: number; priority: number }>;
}

const fmt = (ms: number | undefined) =>
  ms === undefined ? `> ${(CAP_MS / 1000).toFixed(0)} s` : `${(ms / 1000).toFixed(2)} s`;

async function crashScenario(): Promise<void> {
  const api = await new FakeTwilioApi().start();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'switchboard-crash-'));
  const port = await freePort();
  const env = envFor(api, dataDir, port);
  try {
    let server = await startServer(env, port);
    console.log(`crash: first start ${fmt(server.listeningAt - server.spawnedAt)} to listening`);
    // The emergency SMS and the first alert call reach Twilio, which acts but never answers.
    api.faults.push({ hang: true, accept: true }, { hang: true, accept: true });
    const caller = raiseEmergency(env);
    const inFlight = await until(() => api.requests.filter((r) => r.method === 'POST').length >= 2, 60_000);
    if (!inFlight) throw new Error('the emergency SMS and alert call never reached the fake Twilio');
    const before = api.requests.length;
    const targets = [...new Set(api.requests.map(targetOf).filter((t): t is string => !!t))];
    // Killed while both sends wait for an answer (the client gives up after 15 s).
    await sleep(200);
    await kill9(server);
    caller.kill('SIGKILL');
    server = await startServer(env, port);
    const restartedAt = server.spawnedAt;
    const firstAt = new Map<string, number>();
    const watcher = setInterval(() => {
      for (const r of api.requests.slice(before)) {
        const t = targetOf(r);
        if (t && !firstAt.has(t)) firstAt.set(t, performance.now());
      }
    }, 5);
    await until(() => targets.every((t) => firstAt.has(t)), CAP_MS);
    // Room for a duplicate send to show up.
    await sleep(5_000);
    clearInterval(watcher);
    console.log(`crash: restart ${fmt(server.listeningAt - restartedAt)} to listening`);
    for (const t of targets) {
      const at = firstAt.get(t);
      console.log(
        `crash: ${t.padEnd(18)} restart -> first attempt ${fmt(at === undefined ? undefined : at - restartedAt)}` +
          `  (listening -> first attempt ${fmt(at === undefined ? undefined : at - server.listeningAt)})`,
      );
    }
    const sends = new Map<string, number>();
    for (const r of api.requests) {
      const k = keyOf(r);
      if (k) sends.set(k, (sends.get(k) ?? 0) + 1);
    }
    for (const [k, n] of sends) console.log(`crash: ${k.padEnd(50)} reached the provider ${n}x`);
    const lookups = api.requests.filter((r) => r.method === 'GET').length;
    console.log(`crash: provider lookups (GET lists) ${lookups}`);
    const rows = await outboxRows(port).catch(() => []);
    console.log(`crash: outbox ${rows.map((r) => `${r.kind}:${r.status}/${r.attempts}`).join(' ')}`);
    await stop(server);
  } finally {
    await api.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function outageScenario(label: string, fault: Fault): Promise<void> {
  const api = await new FakeTwilioApi().start();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'switchboard-outage-'));
  const port = await freePort();
  const env = envFor(api, dataDir, port);
  try {
    const server = await startServer(env, port);
    api.outage = fault;
    raiseEmergency(env);
    const hit = await until(() => api.requests.some((r) => r.method === 'POST'), 30_000);
    if (!hit) throw new Error('no send reached the fake Twilio');
    await sleep(30_000);
    const seenAtRecovery = api.requests.length;
    api.outage = undefined;
    const recoveredAt = performance.now();
    const targets = [...new Set(api.requests.map(targetOf).filter((t): t is string => !!t))];
    const nextAt = new Map<string, number>();
    const watcher = setInterval(() => {
      for (const r of api.requests.slice(seenAtRecovery)) {
        const t = targetOf(r);
        if (t && !nextAt.has(t)) nextAt.set(t, performance.now());
      }
    }, 5);
    await until(() => targets.every((t) => nextAt.has(t)), Math.min(CAP_MS, 90_000));
    await sleep(2_000);
    clearInterval(watcher);
    for (const t of targets) {
      const at = nextAt.get(t);
      console.log(
        `${label}: ${t.padEnd(18)} recovery -> next attempt ${at === undefined ? `> ${Math.min(CAP_MS, 90_000) / 1000} s (none)` : fmt(at - recoveredAt)}`,
      );
    }
    const rows = await outboxRows(port).catch(() => []);
    console.log(`${label}: outbox ${rows.map((r) => `${r.kind}:${r.status}/${r.attempts}`).join(' ')}`);
    await stop(server);
  } finally {
    await api.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const which = process.env.BENCH_SCENARIO ?? 'crash,outage,timeouts';
if (which.includes('crash')) await crashScenario();
if (which.includes('outage')) {
  await outageScenario('outage-500', { status: 500, code: 20500, message: 'Internal Server Error' });
}
// Requests that are never answered (and never acted on) for 30 s.
if (which.includes('timeouts')) await outageScenario('outage-timeouts', { hang: true });
