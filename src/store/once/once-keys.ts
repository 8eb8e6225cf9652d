/**
 * Claim-once keys: the first claim of a key wins, every later one loses until the key expires.
 * What spends a single-use token (an assist feed ticket, a browser call's media token) so it
 * opens one thing, whichever node it is presented to.
 */
export interface OnceKeys {
  /** True the first time `key` is claimed within `ttlMs`; false after. */
  claim(key: string, ttlMs: number): Promise<boolean>;
}

export interface MemoryOnceKeysOptions {
  /** Keys remembered at most; past this a claim is refused rather than a spent key forgotten. */
  maxKeys?: number;
  /** Epoch ms. */
  now?: () => number;
}

/** One node's claim-once keys (the embedded default, and the Redis version's fallback). */
export class MemoryOnceKeys implements OnceKeys {
  /** key → expiry (epoch ms). */
  private readonly keys = new Map<string, number>();
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(opts: MemoryOnceKeysOptions = {}) {
    this.maxKeys = opts.maxKeys ?? 100_000;
    this.now = opts.now ?? Date.now;
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    return this.claimNow(key, ttlMs);
  }

  /** The same, synchronously (the Redis version records its wins here too). */
  claimNow(key: string, ttlMs: number): boolean {
    const now = this.now();
    const until = this.keys.get(key);
    if (until !== undefined && until > now) return false;
    if (until === undefined && this.keys.size >= this.maxKeys) {
      this.sweep(now);
      // Forgetting a live key would let its token be used again: refuse instead.
      if (this.keys.size >= this.maxKeys) return false;
    }
    this.keys.set(key, now + ttlMs);
    return true;
  }

  /** Keys remembered now (tests). */
  get size(): number {
    return this.keys.size;
  }

  private sweep(now: number): void {
    for (const [k, until] of this.keys) if (until <= now) this.keys.delete(k);
  }
}
