import { randomUUID } from 'node:crypto';
import { SignJWT, errors, jwtVerify } from 'jose';
import type { BusinessId, CallSid } from '../../ids.js';
import { systemClock, type Clock } from '../../shared/index.js';

/**
 * Tickets for browsers, which cannot set an Authorization header on a WebSocket: an
 * authenticated HTTP call gets a short-lived, single-use ticket and the browser opens
 * /assist/agent?ticket=… with it. A ticket is a signed JWT (HS256) with its own audience, so
 * no other token we sign (the media stream's) opens the feed, and a random jti that is spent
 * on first use.
 *
 * The spent jtis live in memory here; with several nodes `shared` (Redis SET NX) spends a ticket
 * for every node, so a ticket cannot open one socket per node.
 */

export interface FeedTicketClaims {
  businessId: BusinessId;
  /** Present: the ticket opens this one call's feed only. */
  callSid?: CallSid;
}

export type RedeemResult =
  { ok: true; claims: FeedTicketClaims } | { ok: false; reason: 'expired' | 'invalid' | 'used' | 'busy' };

export interface FeedTicketsOptions {
  /** The signing secret (HS256). */
  secret: string;
  ttlSeconds: number;
  clock?: Clock;
  /**
   * Spent tickets remembered at most (each until it expires). Past this, redeeming is refused
   * ('busy') rather than forgetting a spent ticket that could then be replayed.
   */
  maxSpent?: number;
  /** Spends a key once across nodes: true the first time, false after (claim-once keys). */
  shared?: { claim(key: string, ttlMs: number): Promise<boolean> };
}

const AUDIENCE = 'switchboard:assist-feed';
const ISSUER = 'switchboard';

export class FeedTickets {
  private readonly key: Uint8Array;
  private readonly clock: Clock;
  private readonly maxSpent: number;
  /** jti → expiry (epoch s), in the order spent. */
  private readonly spent = new Map<string, number>();

  constructor(private readonly opts: FeedTicketsOptions) {
    if (!opts.secret) throw new Error('FeedTickets needs a signing secret');
    if (!(opts.ttlSeconds > 0)) throw new Error('FeedTickets needs a positive ttlSeconds');
    this.key = new TextEncoder().encode(opts.secret);
    this.clock = opts.clock ?? systemClock;
    this.maxSpent = opts.maxSpent ?? 100_000;
  }

  async issue(claims: FeedTicketClaims): Promise<{ ticket: string; expiresAt: Date }> {
    const now = Math.floor(this.clock.now() / 1000);
    const exp = now + this.opts.ttlSeconds;
    const ticket = await new SignJWT({
      biz: claims.businessId,
      ...(claims.callSid ? { call: claims.callSid } : {}),
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .sign(this.key);
    return { ticket, expiresAt: new Date(exp * 1000) };
  }

  /** The ticket's claims, once: a second redeem of the same ticket is refused ('used'). */
  async redeem(ticket: string): Promise<RedeemResult> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(ticket, this.key, {
        audience: AUDIENCE,
        issuer: ISSUER,
        algorithms: ['HS256'],
        currentDate: new Date(this.clock.now()),
        requiredClaims: ['jti', 'exp'],
      }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) return { ok: false, reason: 'expired' };
      return { ok: false, reason: 'invalid' };
    }
    const jti = payload['jti'];
    const exp = payload['exp'];
    const biz = payload['biz'];
    const call = payload['call'];
    if (
      typeof jti !== 'string' ||
      typeof exp !== 'number' ||
      typeof biz !== 'string' ||
      !biz ||
      (call !== undefined && (typeof call !== 'string' || !call))
    ) {
      return { ok: false, reason: 'invalid' };
    }
    // No await from here on: the check and the spending happen together.
    this.forgetExpired();
    if (this.spent.has(jti)) return { ok: false, reason: 'used' };
    if (this.spent.size >= this.maxSpent) return { ok: false, reason: 'busy' };
    this.spent.set(jti, exp);
    const ttlMs = Math.max(1000, exp * 1000 - this.clock.now());
    if (this.opts.shared && !(await this.opts.shared.claim(`feed-ticket:${jti}`, ttlMs))) {
      return { ok: false, reason: 'used' };
    }
    return {
      ok: true,
      claims: {
        businessId: biz as BusinessId,
        ...(typeof call === 'string' ? { callSid: call as CallSid } : {}),
      },
    };
  }

  /** Spent tickets still remembered (tests, health). */
  get spentCount(): number {
    return this.spent.size;
  }

  /**
   * An expired ticket fails verification anyway, so its jti need not be kept. Spent order is
   * nearly expiry order (one ttl), so the oldest are dropped from the front; when full, a whole
   * sweep catches the rest.
   */
  private forgetExpired(): void {
    const now = Math.floor(this.clock.now() / 1000);
    for (const [jti, exp] of this.spent) {
      if (exp >= now) break;
      this.spent.delete(jti);
    }
    if (this.spent.size >= this.maxSpent) {
      for (const [jti, exp] of this.spent) if (exp < now) this.spent.delete(jti);
    }
  }
}
