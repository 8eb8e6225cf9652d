import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/test-server.js';

/** The real command-line server (`node bin/switchboard.js serve`) in a child process, for crash and signal tests. */

export const ROOT = process.env.SWITCHBOARD_ROOT ?? fileURLToPath(new URL('../..', import.meta.url));

/** dist/ is what bin/switchboard.js runs: rebuild it when any source is newer. */
export function ensureBuilt(): void {
  const main = path.join(ROOT, 'dist/main.js');
  const newest = (dir: string): number => {
    let t = 0;
    for (const e of spawnSync('find', [dir, '-name', '*.ts', '-newer', main], {
      encoding: 'utf8',
    }).stdout.split('\n'))
      if (e) t = Math.max(t, statSync(e).mtimeMs);
    return t;
  };
  if (existsSync(main) && newest(path.join(ROOT, 'src')) === 0) return;
  // Type errors elsewhere in the tree still emit JavaScript; what matters is a current dist/.
  spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore' });
  if (!existsSync(main)) throw new Error('build produced no dist/main.js');
}

export interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  dataDir: string;
  /** Everything the process wrote to stdout and stderr (pino JSON lines and the banner). */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  secrets(): { twilioAuthToken: string; apiKey: string };
}

export async function startServerProcess(
  env: Record<string, string>,
  opts: { dataDir?: string; port?: number } = {},
): Promise<ServerProcess> {
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), 'sb-proc-'));
  const port = opts.port ?? (await freePort());
  const baseUrl = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/switchboard.js'), 'serve'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: baseUrl,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited at start:\n${out}`);
    try {
      if ((await fetch(`${baseUrl}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    baseUrl,
    dataDir,
    output: () => out,
    exited,
    secrets: () =>
      JSON.parse(readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')) as {
        twilioAuthToken: string;
        apiKey: string;
      },
  };
}

/** Live media sessions as /health reports them. */
export async function activeSessions(baseUrl: string): Promise<number> {
  const body = (await (await fetch(`${baseUrl}/health`)).json()) as {
    sessions?: { activeVoiceSessions?: number };
  };
  return body.sessions?.activeVoiceSessions ?? -1;
}
