import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { FeedTickets } from '../../../src/assist/feed/feed-tickets.js';
import { StreamTokens } from '../../../src/telephony/twilio/stream-token.js';
import { FakeClock } from '../../support/fake-clock.js';
import { AT, BIZ_A, CALL_A1 } from './fixtures.js';

const SECRET = 'a-test-secret-of-some-length-0123456789';

function tickets(opts: { ttlSeconds?: number; maxSpent?: number } = {}) {
  const clock = new FakeClock();
  clock.advance(AT);
  return { clock, tickets: new FeedTickets({ secret: SECRET, ttlSeconds: 60, clock, ...opts }) };
}

describe('FeedTickets', () => {
  it('gives back the claims a ticket was issued with, once', async () => {
    const { tickets: t } = tickets();
    const { ticket } = await t.issue({ businessId: BIZ_A, callSid: CALL_A1 });
    expect(await t.redeem(ticket)).toEqual({ ok: true, claims: { businessId: BIZ_A, callSid: CALL_A1 } });
    expect(await t.redeem(ticket)).toEqual({ ok: false, reason: 'used' });
  });

  it('is spent on every node that shares the spent keys: a second node refuses it', async () => {
    const claimed = new Map<string, number>();
    const shared = {
      claim: async (key: string, ttlMs: number) => {
        if (claimed.has(key)) return false;
        claimed.set(key, ttlMs);
        return true;
      },
    };
    const clock = new FakeClock();
    clock.advance(AT);
    const nodeA = new FeedTickets({ secret: SECRET, ttlSeconds: 60, clock, shared });
    const nodeB = new FeedTickets({ secret: SECRET, ttlSeconds: 60, clock, shared });
    const { ticket } = await nodeA.issue({ businessId: BIZ_A });
    expect(await nodeB.redeem(ticket)).toEqual({ ok: true, claims: { businessId: BIZ_A } });
    expect(await nodeA.redeem(ticket)).toEqual({ ok: false, reason: 'used' });
    // Kept as long as the ticket could still verify, no longer.
    expect([...claimed.values()][0]).toBeGreaterThan(59_000);
    expect([...claimed.values()][0]).toBeLessThanOrEqual(60_000);
  });

  it('issues a business-wide ticket without a call', async () => {
    const { tickets: t } = tickets();
    const { ticket } = await t.issue({ businessId: BIZ_A });
    expect(await t.redeem(ticket)).toEqual({ ok: true, claims: { businessId: BIZ_A } });
  });

  it('says when it expires, and refuses it from then on', async () => {
    const { clock, tickets: t } = tickets({ ttlSeconds: 30 });
    const { ticket, expiresAt } = await t.issue({ businessId: BIZ_A });
    expect(expiresAt.getTime()).toBe(Math.floor(AT / 1000) * 1000 + 30_000);
    clock.advance(31_000);
    expect(await t.redeem(ticket)).toEqual({ ok: false, reason: 'expired' });
  });

  it('makes every ticket different, even for the same claims at the same instant', async () => {
    const { tickets: t } = tickets();
    const a = await t.issue({ businessId: BIZ_A });
    const b = await t.issue({ businessId: BIZ_A });
    expect(a.ticket).not.toBe(b.ticket);
    expect((await t.redeem(a.ticket)).ok).toBe(true);
    expect((await t.redeem(b.ticket)).ok).toBe(true);
  });

  it('refuses a media-stream token signed with the same secret (another audience)', async () => {
    const { tickets: t } = tickets();
    const streamToken = await new StreamTokens(SECRET, 60).issue({ callSid: CALL_A1, businessId: BIZ_A });
    expect(await t.redeem(streamToken)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses a ticket signed with another secret, or tampered with, or not a JWT', async () => {
    const { tickets: t } = tickets();
    const other = new FeedTickets({ secret: 'another-secret-entirely-0123456789', ttlSeconds: 60 });
    expect(await t.redeem((await other.issue({ businessId: BIZ_A })).ticket)).toEqual({
      ok: false,
      reason: 'invalid',
    });
    const { ticket } = await t.issue({ businessId: BIZ_A });
    const [h, p, s] = ticket.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...payload, biz: 'someone-else' })).toString('base64url');
    expect(await t.redeem(`${h}.${forged}.${s}`)).toEqual({ ok: false, reason: 'invalid' });
    expect(await t.redeem('not-a-ticket')).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses a token with the right audience but no jti (it could not be single use)', async () => {
    const { tickets: t } = tickets();
    const noJti = await new SignJWT({ biz: BIZ_A })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('switchboard')
      .setAudience('switchboard:assist-feed')
      .setIssuedAt(Math.floor(AT / 1000))
      .setExpirationTime(Math.floor(AT / 1000) + 60)
      .sign(new TextEncoder().encode(SECRET));
    expect(await t.redeem(noJti)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('forgets spent tickets once they have expired, and refuses rather than forget one that has not', async () => {
    const { clock, tickets: t } = tickets({ ttlSeconds: 10, maxSpent: 2 });
    for (let i = 0; i < 2; i++)
      expect((await t.redeem((await t.issue({ businessId: BIZ_A })).ticket)).ok).toBe(true);
    expect(t.spentCount).toBe(2);
    const third = (await t.issue({ businessId: BIZ_A })).ticket;
    expect(await t.redeem(third)).toEqual({ ok: false, reason: 'busy' });
    clock.advance(11_000);
    const fourth = (await t.issue({ businessId: BIZ_A })).ticket;
    expect((await t.redeem(fourth)).ok).toBe(true);
    expect(t.spentCount).toBe(1);
  });
});
