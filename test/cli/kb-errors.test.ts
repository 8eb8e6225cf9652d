import { afterEach, describe, expect, it, vi } from 'vitest';
import { kbCommand } from '../../src/cli/kb.js';

afterEach(() => vi.unstubAllEnvs());

describe('switchboard kb add', () => {
  it('names the missing file and the folder it looked in, before asking the server anything', async () => {
    const err: string[] = [];
    const code = await kbCommand(['add', 'no-such-prices.md', '--url', 'http://127.0.0.1:9'], {
      env: { SWITCHBOARD_API_KEY: 'k'.repeat(20) },
      out: () => undefined,
      err: (line) => err.push(line),
    });
    expect(code).toBe(1);
    expect(err).toEqual([`switchboard kb add: no file no-such-prices.md (in ${process.cwd()})`]);
  });
});
