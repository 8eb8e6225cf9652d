import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const benches = readdirSync(`${root}/bench`)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''));

describe('npm run bench', () => {
  it('is the bench runner, which lists every benchmark in bench/ with what it measures', () => {
    const pkg = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['bench']).toBe('bash scripts/bench.sh');
    const r = spawnSync('bash', ['scripts/bench.sh', '--list'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(0);
    for (const name of benches) expect(r.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
  });

  it('refuses a benchmark that does not exist, before running anything', () => {
    const r = spawnSync('bash', ['scripts/bench.sh', 'audio', 'no-such-bench'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no benchmark "no-such-bench"');
    expect(r.stdout).not.toContain('== bench audio');
  });

  it('every benchmark is named in the README', () => {
    const readme = readFileSync(`${root}/README.md`, 'utf8');
    for (const name of benches) expect(readme, name).toContain(`\`${name}\``);
  });
});
