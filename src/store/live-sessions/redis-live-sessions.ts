import type { BusinessId } from '../../ids.js';
import type { Logger } from '../../shared/index.js';
import type { RedisConnection } from '../redis/index.js';
import {
  byStart,
  liveSessionRecordSchema,
  type LiveSessionRecord,
  type LiveSessions,
} from './live-session.js';

export interface RedisLiveSessionsOptions {
  connection: RedisConnection;
  /** This node: its records are kept in memory too, and Redis is made to agree with them. */
  nodeId: string;
  /** Key prefix, e.g. `switchboard:live:`. */
  prefix: string;
  log: Pick<Logger, 'warn'>;
  /** A record not refreshed for this long disappears (a crashed node's sessions); default 60 s. */
  ttlMs?: number;
  /** How often this node refreshes its records; default a third of the TTL. */
  heartbeatMs?: number;
  /** A read Redis has not answered by then is answered from memory; default 500 ms. */
  readTimeoutMs?: number;
  /** Epoch ms (the index scores are expiry times). */
  now?: () => number;
}

/**
 * Live sessions in Redis, shared by every node, with this node's own records in memory too.
 *
 * Layout under the prefix: `s:<id>` the record (JSON, expiring), `all`, `b:<businessId>` and
 * `n:<nodeId>` sorted sets of ids scored by expiry time, so a crashed node's sessions leave the
 * counts once their TTL passes. A heartbeat rewrites this node's records (refreshing the TTL).
 *
 * Writes change memory at once and reach Redis behind the caller's back: nothing here waits on
 * Redis for a call. While Redis is away the changes wait in memory (dirty), reads answer from
 * memory (`degraded`), and when it returns this node's records are written back and those it
 * removed meanwhile deleted (through the node's own index, also after a Redis restart that kept
 * its data). Reads merge: this node's memory is the truth for its own sessions.
 */
export class RedisLiveSessions implements LiveSessions {
  private readonly mine = new Map<string, LiveSessionRecord>();
  /** Ids to write, and ids to delete (with their business, for its index). */
  private readonly dirty = new Set<string>();
  private readonly deleted = new Map<string, BusinessId>();
  private readonly ttlMs: number;
  private readonly readTimeoutMs: number;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;
  private readonly offState: () => void;
  private flushing: Promise<void> | undefined;
  /** The node index must be checked against memory (after start or a reconnect). */
  private reconcilePending = true;
  private closed = false;

  constructor(private readonly opts: RedisLiveSessionsOptions) {
    this.ttlMs = opts.ttlMs ?? 60_000;
    this.readTimeoutMs = opts.readTimeoutMs ?? 500;
    this.now = opts.now ?? Date.now;
    this.timer = setInterval(() => this.refreshAll(), opts.heartbeatMs ?? Math.floor(this.ttlMs / 3));
    this.timer.unref();
    this.offState = opts.connection.onStateChange((s) => {
      if (!s.connected) return;
      // Redis may have restarted empty, or kept what we removed while away: set it right.
      this.reconcilePending = true;
      this.refreshAll();
    });
    if (this.connected) this.schedule();
  }

  get degraded(): boolean {
    return !this.connected;
  }

  async put(record: LiveSessionRecord): Promise<void> {
    const r = liveSessionRecordSchema.parse(record);
    this.mine.set(r.id, r);
    this.deleted.delete(r.id);
    this.dirty.add(r.id);
    this.schedule();
  }

  async remove(id: string): Promise<void> {
    const r = this.mine.get(id);
    if (!r) return;
    this.mine.delete(id);
    this.dirty.delete(id);
    this.deleted.set(id, r.businessId);
    this.schedule();
  }

  async get(id: string): Promise<LiveSessionRecord | undefined> {
    const own = this.mine.get(id);
    if (own || this.deleted.has(id) || !this.connected) return own;
    const raw = await this.read(() => this.client.get(this.key(id)));
    return raw ? this.parse(raw) : undefined;
  }

  async list(businessId?: BusinessId): Promise<LiveSessionRecord[]> {
    const ownList = [...this.mine.values()].filter(
      (r) => businessId === undefined || r.businessId === businessId,
    );
    if (!this.connected) return ownList.sort(byStart);
    const index = businessId === undefined ? this.index('all') : this.index(`b:${businessId}`);
    const now = this.now();
    const ids = await this.read(async () => {
      const replies = await this.client
        .pipeline()
        .zremrangebyscore(index, '-inf', now)
        .zrangebyscore(index, now, '+inf')
        .exec();
      const reply = replies?.[1];
      if (!reply || reply[0]) throw reply?.[0] ?? new Error('no reply');
      return reply[1] as string[];
    });
    const others = (ids ?? []).filter((id) => !this.mine.has(id) && !this.deleted.has(id));
    const raws = others.length
      ? await this.read(() => this.client.mget(others.map((id) => this.key(id))))
      : [];
    const remote = (raws ?? [])
      .map((raw) => (raw ? this.parse(raw) : undefined))
      // A record of this node that memory no longer has is one being deleted.
      .filter((r): r is LiveSessionRecord => r !== undefined && r.nodeId !== this.opts.nodeId);
    return [...remote, ...ownList].sort(byStart);
  }

  async count(): Promise<number> {
    if (!this.connected) return this.mine.size;
    const all = this.index('all');
    const now = this.now();
    // This node's changes not yet in Redis: which of them Redis still has (or lacks).
    const pending = [...this.dirty, ...this.deleted.keys()];
    const counted = await this.read(async () => {
      const p = this.client.pipeline().zremrangebyscore(all, '-inf', now).zcard(all);
      if (pending.length) p.zmscore(all, ...pending);
      const replies = await p.exec();
      if (!replies || replies.some(([err]) => err)) throw new Error('count failed');
      let n = replies[1]![1] as number;
      const scores = pending.length ? (replies[2]![1] as Array<string | null>) : [];
      pending.forEach((id, i) => {
        const inRedis = scores[i] !== null;
        const live = this.mine.has(id);
        if (live && !inRedis) n++;
        if (!live && inRedis) n--;
      });
      return n;
    });
    return counted ?? this.mine.size;
  }

  /** Resolves once this node's changes are in Redis, or once Redis is found away (tests, shutdown). */
  async flush(): Promise<void> {
    this.schedule();
    while (this.flushing) await this.flushing;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.timer);
    this.offState();
    await Promise.race([this.flush(), new Promise((r) => setTimeout(r, 1000).unref())]);
    this.closed = true;
  }

  private get connected(): boolean {
    return this.opts.connection.state().connected;
  }

  private get client() {
    return this.opts.connection.client;
  }

  /** One record. */
  private key(id: string): string {
    return `${this.opts.prefix}s:${id}`;
  }

  /** An index: `all`, `b:<businessId>` or `n:<nodeId>`. */
  private index(name: string): string {
    return this.opts.prefix + name;
  }

  private refreshAll(): void {
    for (const id of this.mine.keys()) this.dirty.add(id);
    this.schedule();
  }

  private schedule(): void {
    if (this.closed || this.flushing || !this.connected) return;
    if (this.dirty.size === 0 && this.deleted.size === 0 && !this.reconcilePending) return;
    this.flushing = this.drain().then((ok) => {
      this.flushing = undefined;
      if (ok) {
        // Changes made just as the last batch was answered.
        if (this.dirty.size || this.deleted.size) this.schedule();
      } else if (!this.closed) {
        // Redis refused while still counted as connected: try again in a second, not in a loop.
        setTimeout(() => this.schedule(), 1000).unref();
      }
    });
  }

  /** False when a write failed (its changes are kept for the next attempt). */
  private async drain(): Promise<boolean> {
    if (this.reconcilePending && !(await this.reconcile())) return false;
    while (this.connected && (this.dirty.size || this.deleted.size)) {
      if (!(await this.writeBatch())) return false;
    }
    return true;
  }

  /** Own records Redis holds that memory does not: left by a write lost while Redis was away. */
  private async reconcile(): Promise<boolean> {
    try {
      const ids = await this.client.zrange(this.index(`n:${this.opts.nodeId}`), 0, -1);
      const stale = ids.filter((id) => !this.mine.has(id) && !this.deleted.has(id));
      if (stale.length) {
        const raws = await this.client.mget(stale.map((id) => this.key(id)));
        stale.forEach((id, i) => {
          const r = raws[i] ? this.parse(raws[i]!) : undefined;
          // Without its record the business index entry expires by its score.
          this.deleted.set(id, r?.businessId ?? ('' as BusinessId));
        });
      }
      this.reconcilePending = false;
      return true;
    } catch {
      return false;
    }
  }

  private async writeBatch(): Promise<boolean> {
    const writes = [...this.dirty];
    const deletes = [...this.deleted];
    this.dirty.clear();
    this.deleted.clear();
    const expires = this.now() + this.ttlMs;
    const all = this.index('all');
    const node = this.index(`n:${this.opts.nodeId}`);
    const m = this.client.multi();
    for (const id of writes) {
      const r = this.mine.get(id);
      if (!r) continue;
      const business = this.index(`b:${r.businessId}`);
      m.set(this.key(id), JSON.stringify(r), 'PX', this.ttlMs);
      for (const index of [all, business, node]) m.zadd(index, expires, id).pexpire(index, this.ttlMs);
    }
    for (const [id, businessId] of deletes) {
      m.del(this.key(id)).zrem(all, id).zrem(node, id);
      if (businessId) m.zrem(this.index(`b:${businessId}`), id);
    }
    try {
      const replies = await m.exec();
      if (!replies || replies.some(([err]) => err)) throw new Error('live sessions: a write failed');
      return true;
    } catch {
      // Kept for the next attempt, unless changed again meanwhile.
      for (const id of writes) if (this.mine.has(id)) this.dirty.add(id);
      for (const [id, b] of deletes) if (!this.mine.has(id) && !this.deleted.has(id)) this.deleted.set(id, b);
      return false;
    }
  }

  /** Redis's answer, or undefined when it fails or is slower than the read timeout. */
  private async read<T>(run: () => Promise<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.readTimeoutMs);
    });
    try {
      return await Promise.race([run().catch(() => undefined), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Another node's record: checked, never trusted. */
  private parse(raw: string): LiveSessionRecord | undefined {
    try {
      const r = liveSessionRecordSchema.safeParse(JSON.parse(raw));
      if (r.success) return r.data;
    } catch {
      // not JSON
    }
    this.opts.log.warn({ prefix: this.opts.prefix }, 'live sessions: ignored a record that is not valid');
    return undefined;
  }
}
