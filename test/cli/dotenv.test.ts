import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDotEnv } from '../../src/cli/dotenv.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dirWith(dotenv?: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-dotenv-'));
  dirs.push(dir);
  if (dotenv !== undefined) writeFileSync(path.join(dir, '.env'), dotenv);
  return dir;
}

describe('.env in the working directory', () => {
  it('sets what the environment does not, and the environment wins over the file', () => {
    const dir = dirWith('PORT=4000\nLOG_LEVEL=debug\n# a comment\nNOTIFY_MAIL_FROM="Acme <a@b.c>"\n');
    const env: NodeJS.ProcessEnv = { LOG_LEVEL: 'warn' };
    const r = loadDotEnv(dir, env);
    expect(r).toEqual({
      kind: 'loaded',
      file: path.join(dir, '.env'),
      keys: expect.arrayContaining(['PORT', 'NOTIFY_MAIL_FROM']),
    });
    expect(env).toEqual({ PORT: '4000', LOG_LEVEL: 'warn', NOTIFY_MAIL_FROM: 'Acme <a@b.c>' });
  });

  it('an empty variable in the environment still wins (it was set on purpose)', () => {
    const env: NodeJS.ProcessEnv = { PUBLIC_URL: '' };
    loadDotEnv(dirWith('PUBLIC_URL=https://sb.example.com\n'), env);
    expect(env['PUBLIC_URL']).toBe('');
  });

  it('without a .env changes nothing', () => {
    const env: NodeJS.ProcessEnv = { PORT: '1' };
    expect(loadDotEnv(dirWith(), env)).toEqual({ kind: 'none' });
    expect(env).toEqual({ PORT: '1' });
  });
});
