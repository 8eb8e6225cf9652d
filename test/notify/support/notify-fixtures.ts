import { eq } from 'drizzle-orm';
import type { Db } from '../../../src/store/index.js';
import { BusinessesRepo } from '../../../src/store/index.js';
import { outbox, outboxAttempts } from '../../../src/store/schema/outbox.js';
import type {
  ChannelMap,
  NotificationChannel,
  OutboundNotification,
  SendResult,
} from '../../../src/notify/index.js';
import type { Clock } from '../../../src/shared/index.js';
import { FakeClock } from '../../support/fake-clock.js';

/** A wall clock for the outbox that only moves when the test says so (starts 2026-03-02 15:00 UTC). */
export class FakeWallClock implements Clock {
  static readonly T0 = Date.parse('2026-03-02T15:00:00.000Z');
  readonly timers = new FakeClock();
  now(): number {
    return FakeWallClock.T0 + this.timers.now();
  }
  setTimeout(fn: () => void, ms: number): unknown {
    return this.timers.setTimeout(fn, ms);
  }
  clearTimeout(handle: unknown): void {
    this.timers.clearTimeout(handle);
  }
  advance(ms: number): void {
    this.timers.advance(ms);
  }
  date(): Date {
    return new Date(this.now());
  }
}

export async function createBusiness(db: Db, name = 'Acme Plumbing'): Promise<string> {
  return (await new BusinessesRepo(db).create({ name, greeting: 'Hi' })).id;
}

type Behaviour = (n: OutboundNotification, signal: AbortSignal) => Promise<SendResult> | SendResult;

/** A channel that records every send and does what the test scripts (default: accept). */
export class ScriptedChannel implements NotificationChannel {
  readonly name = 'scripted';
  readonly sent: OutboundNotification[] = [];
  /** Behaviours for the next sends, in order; then `fallback`. */
  readonly script: Behaviour[] = [];
  fallback: Behaviour = (n) => ({ providerId: `P-${n.id}-${n.attempt}` });
  onSend: ((n: OutboundNotification) => void) | undefined;

  async send(n: OutboundNotification, signal: AbortSignal): Promise<SendResult> {
    this.sent.push(n);
    this.onSend?.(n);
    return (this.script.shift() ?? this.fallback)(n, signal);
  }
}

export function allKinds(channel: NotificationChannel): ChannelMap {
  return { sms: channel, 'voice-call': channel, email: channel, slack: channel, whatsapp: channel };
}

export async function rowOf(db: Db, id: string) {
  const [row] = await db.select().from(outbox).where(eq(outbox.id, id));
  if (!row) throw new Error(`no outbox row ${id}`);
  return row;
}

export async function attemptsOf(db: Db, id: string) {
  const rows = await db.select().from(outboxAttempts).where(eq(outboxAttempts.outboxId, id));
  return rows.sort((a, b) => a.attempt - b.attempt);
}

/** Resolves when `check` is true, polling every 10 ms (real time), or rejects after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
