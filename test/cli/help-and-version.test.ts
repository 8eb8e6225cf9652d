import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { invokedAs } from '../../src/cli/serve.js';

/** Runs the CLI in this process, collecting what it prints. */
async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const code = await runCli(argv);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

afterEach(() => vi.restoreAllMocks());

describe('switchboard --version and --help', () => {
  it('prints the package version with --version and -v', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-v'])
      expect(await cli(flag)).toEqual({ code: 0, out: version, err: '' });
  });

  it.each([
    ['serve', 'Usage: switchboard serve'],
    ['call', 'Usage: switchboard call'],
    ['whatsapp', 'Usage: switchboard whatsapp'],
    ['kb', 'Usage: switchboard kb <command>'],
    ['kb add', 'Usage: switchboard kb add FILE'],
    ['kb search', 'Usage: switchboard kb search QUESTION'],
    ['kb list', 'Usage: switchboard kb list'],
    ['kb delete', 'Usage: switchboard kb delete ID'],
  ])('"switchboard %s" answers -h and --help with its usage and exit 0', async (command, usage) => {
    for (const flag of ['-h', '--help']) {
      const r = await cli(...command.split(' '), flag);
      expect(r.code).toBe(0);
      expect(r.out).toContain(usage);
    }
  });

  it('lists every command, kb list and delete included, in the top-level help', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    for (const word of [
      'serve [--port N]',
      'call',
      'whatsapp --say TEXT',
      'kb add|search|list|delete',
      '--version',
    ])
      expect(r.out).toContain(word);
  });

  it('shows serve --port and the caller voices in the commands’ help', async () => {
    expect((await cli('serve', '--help')).out).toContain('-p, --port N');
    const call = (await cli('call', '--help')).out;
    for (const voice of ['slt', 'kal', 'ked', 'espeak', 'rms'])
      expect(call).toMatch(new RegExp(`^ +${voice} +US English`, 'm'));
    expect(call).toContain('--json');
  });

  it('refuses an unknown option with the command named and where its options are', async () => {
    const r = await cli('serve', '--prot', '4000');
    expect(r.code).toBe(1);
    expect(r.err).toContain("switchboard serve: Unknown option '--prot'");
    expect(r.err).toContain('Run "switchboard serve --help" for its options.');
  });

  it('refuses an unknown command with the usage', async () => {
    const r = await cli('start');
    expect(r.code).toBe(1);
    expect(r.err).toContain('unknown command "start"');
    expect(r.err).toContain('Usage: switchboard <command>');
  });
});

describe('the command a hint shows', () => {
  it('is "switchboard" when installed on PATH, else the script’s path from the working directory', () => {
    expect(invokedAs('/usr/local/bin/switchboard', '/home/me')).toBe('switchboard');
    expect(invokedAs('/srv/switchboard/bin/switchboard.js', '/srv/switchboard')).toBe('bin/switchboard.js');
    expect(invokedAs('/srv/switchboard/bin/switchboard.js', '/home/me')).toBe(
      '/srv/switchboard/bin/switchboard.js',
    );
  });
});
