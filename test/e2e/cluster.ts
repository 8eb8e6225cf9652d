import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import pg from 'pg';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { ensureBuilt, startServerProcess, type ServerProcess } from './server-process.js';

/**
 * Several real Switchboard processes (`switchboard serve`) as one deployment: a fresh PostgreSQL
 * database on TEST_DATABASE_URL's server (dropped at close), a private redis-server, and the
 * secrets every node must share. Each node has its own DATA_DIR, port and NODE_ID.
 */
export interface Cluster {
  databaseUrl: string;
  redis: RedisServer;
  /** The shared secrets, as every node gets them. */
  secrets: { twilioAuthToken: string; apiKey: string; jwtSecret: string; streamTokenSecret: string };
  /** Starts one node; nodes are started one at a time (the first migrates and seeds the database). */
  startNode(nodeId: string, env?: Record<string, string>): Promise<ServerProcess>;
  /** SIGTERM to every node (SIGKILL past a deadline), then Redis stopped and the database dropped. */
  close(): Promise<void>;
}

const STOP_DEADLINE_MS = 15_000;

async function admin(adminUrl: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

export async function startCluster(adminUrl: string): Promise<Cluster> {
  ensureBuilt();
  const dbName = `switchboard_cluster_${randomBytes(5).toString('hex')}`;
  await admin(adminUrl, `create database ${dbName}`);
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  const databaseUrl = u.toString();
  let redis: RedisServer;
  try {
    redis = await startRedisServer();
  } catch (err) {
    await admin(adminUrl, `drop database if exists ${dbName} with (force)`);
    throw err;
  }
  const secrets = {
    twilioAuthToken: randomBytes(16).toString('hex'),
    apiKey: `sb_${randomBytes(16).toString('hex')}`,
    jwtSecret: randomBytes(32).toString('hex'),
    streamTokenSecret: randomBytes(32).toString('hex'),
  };
  const nodes: ServerProcess[] = [];

  const stop = async (s: ServerProcess) => {
    if (s.child.exitCode === null && s.child.signalCode === null) {
      s.child.kill('SIGTERM');
      const timer = setTimeout(() => s.child.kill('SIGKILL'), STOP_DEADLINE_MS);
      await s.exited;
      clearTimeout(timer);
    }
    rmSync(s.dataDir, { recursive: true, force: true });
  };

  return {
    databaseUrl,
    redis,
    secrets,
    async startNode(nodeId, env = {}) {
      const s = await startServerProcess({
        DATABASE_URL: databaseUrl,
        REDIS_URL: redis.url,
        NODE_ID: nodeId,
        TWILIO_AUTH_TOKEN: secrets.twilioAuthToken,
        SWITCHBOARD_API_KEY: secrets.apiKey,
        JWT_SECRET: secrets.jwtSecret,
        STREAM_TOKEN_SECRET: secrets.streamTokenSecret,
        SHUTDOWN_GRACE_MS: '1000',
        ...env,
      });
      nodes.push(s);
      return s;
    },
    async close() {
      await Promise.all(nodes.map(stop));
      await redis.close();
      await admin(adminUrl, `drop database if exists ${dbName} with (force)`);
    },
  };
}
