import type { RedisConnection } from '../redis/index.js';
import { MemoryOnceKeys, type OnceKeys } from './once-keys.js';

export interface RedisOnceKeysOptions {
  connection: RedisConnection;
  /** Key prefix, e.g. `switchboard:once:`. */
  prefix: string;
  /** What answers while Redis is away; default a new MemoryOnceKeys. */
  fallback?: MemoryOnceKeys;
}

/**
 * Claim-once keys shared by every node: `SET key 1 PX ttl NX` wins for exactly one claimant.
 *
 * While Redis is away (or a claim fails) this node's memory answers instead, so tokens keep
 * working through an outage; the price is that a token could then be used once per node. Wins in
 * Redis are recorded in memory too, so during an outage this node still refuses a token it spent
 * before. A node refuses a key its memory has spent even if Redis (restarted empty) would not.
 */
export class RedisOnceKeys implements OnceKeys {
  private readonly memory: MemoryOnceKeys;

  constructor(private readonly opts: RedisOnceKeysOptions) {
    this.memory = opts.fallback ?? new MemoryOnceKeys();
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    const ms = Math.max(1, Math.ceil(ttlMs));
    if (!this.opts.connection.state().connected) return this.memory.claimNow(key, ms);
    let won: boolean;
    try {
      won = (await this.opts.connection.client.set(this.opts.prefix + key, '1', 'PX', ms, 'NX')) === 'OK';
    } catch {
      return this.memory.claimNow(key, ms);
    }
    if (!won) return false;
    return this.memory.claimNow(key, ms);
  }
}
