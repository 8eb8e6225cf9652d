import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { installProcessPolicy } from '../../src/cli/process-policy.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const policyModule = fileURLToPath(new URL('../../src/cli/process-policy.ts', import.meta.url));

/** A real Node process: a stray rejection, then a timer that proves the process is still serving. */
function runChild(withPolicy: boolean) {
  const script = `
    ${
      withPolicy
        ? `const { installProcessPolicy } = await import(${JSON.stringify(policyModule)});
    installProcessPolicy(process, {
      log: { error: (o, m) => console.log('logged error:', m, o.err.message), fatal: (o, m) => console.log('fatal:', m) },
      onUncaughtException: () => process.exit(1),
    });`
        : ''
    }
    Promise.reject(new Error('a call write failed'));
    setTimeout(() => { console.log('still serving'); process.exit(0); }, 200);
  `;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    timeout: 20_000,
  });
}

describe('process policy', () => {
  it('without it, one unhandled rejection kills the whole server (Node default)', () => {
    const r = runChild(false);
    expect(r.status).not.toBe(0);
    expect(r.stdout).not.toContain('still serving');
  });

  it('an unhandled rejection is logged at error and the process goes on serving', () => {
    const r = runChild(true);
    expect(r.stdout).toContain(
      'logged error: unhandled promise rejection; the server goes on a call write failed',
    );
    expect(r.stdout).toContain('still serving');
    expect(r.status).toBe(0);
  });

  it('an uncaught exception is logged at fatal and starts the graceful shutdown', () => {
    const proc = new EventEmitter();
    const logged: string[] = [];
    const fatal: Error[] = [];
    const policy = installProcessPolicy(proc, {
      log: { error: (_o, m) => logged.push(`error ${m}`), fatal: (_o, m) => logged.push(`fatal ${m}`) },
      onUncaughtException: (err) => fatal.push(err),
    });
    proc.emit('unhandledRejection', 'not even an Error');
    proc.emit('uncaughtException', new Error('handler threw'));
    expect(policy.unhandledRejections).toBe(1);
    expect(fatal.map((e) => e.message)).toEqual(['handler threw']);
    expect(logged).toEqual([
      'error unhandled promise rejection; the server goes on',
      'fatal uncaught exception; shutting down gracefully',
    ]);
    policy.uninstall();
    expect(proc.listenerCount('unhandledRejection')).toBe(0);
    expect(proc.listenerCount('uncaughtException')).toBe(0);
  });
});
