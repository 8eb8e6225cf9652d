import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { freePort } from '../support/test-server.js';

/** `switchboard call` when the call cannot get going: what a person is told. */
async function call(env: Record<string, string>, ...argv: string[]) {
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  const code = await runCli(['call', ...argv]);
  return { code, err: err.join('\n') };
}

let server: Server | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

const token = { TWILIO_AUTH_TOKEN: 'a-local-test-token-0123456789', SWITCHBOARD_API_KEY: 'k'.repeat(20) };

describe('switchboard call: a server it cannot use', () => {
  it('names the URL it tried and how to point elsewhere when nothing listens', async () => {
    const port = await freePort();
    const r = await call({ ...token, PORT: String(port), PUBLIC_URL: '' }, '--say', 'hello');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`no Switchboard answers at http://localhost:${port}`);
    expect(r.err).toContain(`tried http://localhost:${port}/twilio/voice`);
    expect(r.err).toContain('ECONNREFUSED');
    expect(r.err).toContain('--url URL');
  });

  it('on a 403 says the signature did not match and to check PUBLIC_URL and the token in secrets.json', async () => {
    server = createServer((_req, res) =>
      res.writeHead(403, { 'content-type': 'application/json' }).end('{}'),
    );
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const r = await call({ ...token, DATA_DIR: '/tmp/sb-nowhere' }, '--url', url, '--say', 'hello');
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `refused the call's Twilio signature (voice webhook ${url}/twilio/voice: HTTP 403)`,
    );
    expect(r.err).toContain('PUBLIC_URL');
    expect(r.err).toContain('/tmp/sb-nowhere/secrets.json');
  });

  it('refuses an unknown voice with the choices', async () => {
    const r = await call(token, '--voice', 'alex', '--say', 'hello');
    expect(r.code).toBe(1);
    expect(r.err).toContain('unknown voice "alex"; choose one of slt, kal, ked, espeak, rms');
  });

  it('without a token says where it looked', async () => {
    const r = await call({ TWILIO_AUTH_TOKEN: '', DATA_DIR: '/tmp/sb-nowhere' }, '--say', 'hello');
    expect(r.code).toBe(2);
    expect(r.err).toContain('/tmp/sb-nowhere/secrets.json does not exist');
  });
});
