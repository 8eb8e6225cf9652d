import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { asBusinessId, asCallSid } from '../../../src/ids.js';
import { AssistTokens } from '../../../src/telephony/twilio/assist-token.js';
import { StreamTokens } from '../../../src/telephony/twilio/stream-token.js';

const SECRET = 'a-secret-of-at-least-thirty-two-characters';
const claims = { callSid: asCallSid('CA1'), businessId: asBusinessId('b1'), source: 'dial' as const };

describe('assist tokens', () => {
  it('carry the call, its business and the source', async () => {
    const tokens = new AssistTokens(SECRET, 60);
    for (const source of ['dial', 'transfer'] as const) {
      expect(await tokens.verify(await tokens.issue({ ...claims, source }))).toEqual({
        ok: true,
        claims: { ...claims, source },
      });
    }
  });

  it('never open the media stream, and a media-stream token never opens the assist stream (one secret)', async () => {
    const assist = new AssistTokens(SECRET, 60);
    const media = new StreamTokens(SECRET, 60);
    expect(await media.verify(await assist.issue(claims))).toEqual({ ok: false, reason: 'token invalid' });
    expect(await assist.verify(await media.issue(claims))).toEqual({ ok: false, reason: 'token invalid' });
  });

  it('refuse another secret, an expired token and a token without a source', async () => {
    const tokens = new AssistTokens(SECRET, 60);
    expect(
      await new AssistTokens('another-secret-of-thirty-two-chars!', 60).verify(await tokens.issue(claims)),
    ).toEqual({ ok: false, reason: 'token invalid' });
    const key = new TextEncoder().encode(SECRET);
    const expired = await new SignJWT({ biz: 'b1', src: 'dial' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('CA1')
      .setAudience('switchboard:assist-stream')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 120)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(key);
    expect(await tokens.verify(expired)).toEqual({ ok: false, reason: 'token expired' });
    const sourceless = await new SignJWT({ biz: 'b1' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('CA1')
      .setAudience('switchboard:assist-stream')
      .setExpirationTime('1m')
      .sign(key);
    expect(await tokens.verify(sourceless)).toEqual({ ok: false, reason: 'token lacks its source' });
    expect(await tokens.verify('not.a.token')).toEqual({ ok: false, reason: 'token invalid' });
  });
});
