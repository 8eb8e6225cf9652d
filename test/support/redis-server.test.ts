import { createConnection } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { redisSkipReason, testRedisUrl } from './redis-env.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

/** One raw command, so this test needs no Redis client. */
function send(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    socket.once('error', reject);
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.endsWith('\r\n')) {
        socket.destroy();
        resolve(reply);
      }
    });
  });
}

// TEST_REDIS_URL set says Redis (and so redis-server) is installed here.
describe.skipIf(!testRedisUrl)(
  `startRedisServer (a private redis-server for fault tests)${redisSkipReason ? ` (${redisSkipReason})` : ''}`,
  () => {
    let server: RedisServer | undefined;
    afterEach(async () => {
      await server?.close();
      server = undefined;
    });

    it('answers on its own port, refuses once killed, and comes back empty on the same port after restart', async () => {
      server = await startRedisServer();
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
      expect(server.port).not.toBe(6379);
      expect(await send(server.port, 'SET k v')).toBe('+OK\r\n');

      await server.kill();
      expect(server.running).toBe(false);
      await expect(send(server.port, 'PING')).rejects.toThrow(/ECONNREFUSED/);

      await server.restart();
      expect(server.running).toBe(true);
      expect(await send(server.port, 'GET k')).toBe('$-1\r\n'); // no persistence: a restart forgets
    });

    it('stop is graceful and close is idempotent', async () => {
      server = await startRedisServer();
      await server.stop();
      await expect(send(server.port, 'PING')).rejects.toThrow(/ECONNREFUSED/);
      await server.close();
      await server.close();
      await expect(server.restart()).rejects.toThrow(/after close/);
    });
  },
);
