import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EnvSchema } from '../../src/config.js';

/**
 * compose.yaml: PostgreSQL with pgvector, Redis and Switchboard, each with a health check; the
 * app waits for both to be healthy, reads only settings config.ts knows, and refuses to start
 * without the secrets every node must share. Where Docker Compose is installed (the plugin or
 * Debian's docker-compose), `config -q` must accept the file.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FILE = path.join(ROOT, 'compose.yaml');
const text = readFileSync(FILE, 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  profiles?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] | string; interval?: string };
  ports?: string[];
  volumes?: string[];
  command?: string[] | string;
  user?: string;
  restart?: string;
  stop_grace_period?: string;
}
const compose = parse(text, { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const nodes = Object.entries(services).filter(([, s]) => s.build !== undefined);

/** The secrets nodes must share (config.ts: each node would otherwise keep its own in DATA_DIR). */
const SHARED_SECRETS = ['JWT_SECRET', 'STREAM_TOKEN_SECRET', 'SWITCHBOARD_API_KEY', 'TWILIO_AUTH_TOKEN'];

const ENV_FILE = [
  'POSTGRES_PASSWORD=test-password-0123',
  'JWT_SECRET=0123456789abcdef0123456789abcdef',
  'STREAM_TOKEN_SECRET=0123456789abcdef0123456789abcdef',
  'SWITCHBOARD_API_KEY=0123456789abcdef',
  'TWILIO_AUTH_TOKEN=0123456789abcdef',
].join('\n');

/** `docker compose` (the plugin) or `docker-compose` (Debian's 1.29), whichever answers. */
function composeCommand(): string[] | undefined {
  for (const cmd of [['docker', 'compose'], ['docker-compose']]) {
    const r = spawnSync(cmd[0]!, [...cmd.slice(1), 'version'], { encoding: 'utf8' });
    if (r.status === 0) return cmd;
  }
  return undefined;
}
const composeCli = composeCommand();

function runCompose(args: string[], env: string | undefined) {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-compose-'));
  try {
    const envFile = path.join(dir, '.env');
    writeFileSync(envFile, env ?? '');
    return spawnSync(
      composeCli![0]!,
      [...composeCli!.slice(1), '-f', FILE, '--project-directory', ROOT, '--env-file', envFile, ...args],
      // Only PATH: a secret in this shell must not make the file look complete.
      { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: dir } },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('compose.yaml', () => {
  it('has PostgreSQL with pgvector, Redis and Switchboard, each with a health check', () => {
    expect(services['postgres']?.image).toMatch(/^pgvector\/pgvector:pg1[5-9]$/);
    expect(services['redis']?.image).toMatch(/^redis:7/);
    expect(services['switchboard']?.build).toBe('.');
    for (const name of ['postgres', 'redis', 'switchboard'])
      expect(services[name]?.healthcheck?.test, name).toBeDefined();
    expect(JSON.stringify(services['postgres']!.healthcheck!.test)).toContain('pg_isready');
    expect(services['redis']!.healthcheck!.test).toEqual(['CMD', 'redis-cli', 'ping']);
    // Switchboard's probe is /health through node's fetch: a degraded node (200) stays in.
    expect(JSON.stringify(services['switchboard']!.healthcheck!.test)).toMatch(
      /fetch\('http:\/\/127\.0\.0\.1:3000\/health'\).*status===200/,
    );
  });

  it('keeps the data of PostgreSQL, Redis (append-only) and each node in volumes', () => {
    expect(services['postgres']!.volumes).toContain('postgres-data:/var/lib/postgresql/data');
    expect(services['redis']!.volumes).toContain('redis-data:/data');
    expect(services['redis']!.command).toEqual(['redis-server', '--appendonly', 'yes']);
    const dataVolumes = nodes.map(([, s]) => s.volumes!.find((v) => v.endsWith(':/data')));
    expect(dataVolumes.every(Boolean)).toBe(true);
    // A node's DATA_DIR holds its node id: two nodes never share one.
    expect(new Set(dataVolumes).size).toBe(nodes.length);
  });

  it('starts every node only once PostgreSQL and Redis are healthy, restarts it, and gives calls time to end', () => {
    expect(nodes.length).toBeGreaterThanOrEqual(2);
    for (const [name, s] of nodes) {
      expect(s.depends_on, name).toEqual({
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
      });
      expect(s.restart, name).toBe('unless-stopped');
      // The image's user (non-root) is not overridden here.
      expect(s.user, name).toBeUndefined();
      // The stop timeout exceeds SHUTDOWN_GRACE_MS, or the container is killed mid-goodbye.
      const graceMs = Number(s.environment!['SHUTDOWN_GRACE_MS']);
      expect(Number.parseInt(s.stop_grace_period!, 10) * 1000, name).toBeGreaterThan(graceMs);
    }
  });

  it("passes only settings config.ts reads, and each node's database, Redis and secrets", () => {
    const known = new Set(Object.keys(EnvSchema.shape));
    for (const [name, s] of nodes) {
      const env = s.environment!;
      for (const key of Object.keys(env)) expect(known.has(key), `${name}: ${key}`).toBe(true);
      expect(env['DATABASE_URL']).toMatch(
        /^postgres:\/\/switchboard:\$\{POSTGRES_PASSWORD:\?[^}]*\}@postgres:5432\//,
      );
      expect(env['REDIS_URL']).toBe('redis://redis:6379');
      for (const secret of SHARED_SECRETS)
        expect(env[secret], `${name}: ${secret}`).toMatch(/^\$\{[A-Z_]+:\?/);
      expect(env['NODE_ID']).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
    }
    // The same secrets on every node, and a NODE_ID of its own.
    const [, first] = nodes[0]!;
    for (const [, s] of nodes)
      for (const secret of SHARED_SECRETS) expect(s.environment![secret]).toBe(first.environment![secret]);
    expect(new Set(nodes.map(([, s]) => s.environment!['NODE_ID'])).size).toBe(nodes.length);
  });

  it('puts the second node and a proxy that passes WebSocket upgrades in the cluster profile', () => {
    expect(services['switchboard']!.profiles).toBeUndefined();
    expect(services['switchboard-b']!.profiles).toEqual(['cluster']);
    expect(services['proxy']!.profiles).toEqual(['cluster']);
    const conf = JSON.stringify(services['proxy']!.command);
    expect(conf).toContain('server switchboard:3000; server switchboard-b:3000;');
    expect(conf).toContain('proxy_set_header Upgrade $$http_upgrade');
    // No sticky sessions: plain round robin, no ip_hash or cookie affinity.
    expect(conf).not.toMatch(/ip_hash|sticky|hash \$/);
    // Idle sockets outlive WEBSOCKET_PING_INTERVAL (30 s by default).
    const readTimeout = Number(/proxy_read_timeout (\d+)s/.exec(conf)?.[1]);
    expect(readTimeout * 1000).toBeGreaterThan(EnvSchema.parse({}).WEBSOCKET_PING_INTERVAL);
  });

  describe.skipIf(!composeCli)(
    `validated by ${composeCli?.join(' ') ?? 'Docker Compose (not installed)'}`,
    () => {
      it('config -q accepts the file with the secrets in .env, with and without the cluster profile', () => {
        for (const args of [
          ['config', '-q'],
          ['--profile', 'cluster', 'config', '-q'],
        ]) {
          const r = runCompose(args, ENV_FILE);
          expect(r.status, r.stderr).toBe(0);
        }
      });

      it('refuses to start without a shared secret, naming it', () => {
        const withoutJwt = ENV_FILE.split('\n')
          .filter((l) => !l.startsWith('JWT_SECRET='))
          .join('\n');
        const r = runCompose(['config', '-q'], withoutJwt);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toContain('set JWT_SECRET in .env');
      });
    },
  );
});
