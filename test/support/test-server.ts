import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp, type App, type AppOverrides } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/http/logger.js';

/** A port nobody is listening on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface TestServer {
  app: App;
  baseUrl: string;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * A real Switchboard on 127.0.0.1 with its own DATA_DIR (PGlite) unless TEST_DATABASE_URL-style
 * env is passed, and the local secrets the embedded default makes.
 */
export async function startTestServer(
  env: Record<string, string> = {},
  overrides: AppOverrides = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sb-test-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: baseUrl,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    // Every test client is 127.0.0.1: per-address limits are tested where a test asks for them.
    HTTP_REQUESTS_PER_MINUTE_PER_IP: '0',
    WS_UPGRADES_PER_MINUTE_PER_IP: '0',
    ...env,
  });
  const app = await createApp(config, {
    logger: createLogger({ level: env['LOG_LEVEL'] ?? 'silent' }),
    ...overrides,
  });
  await app.listen();
  return {
    app,
    baseUrl,
    dataDir,
    async stop() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
