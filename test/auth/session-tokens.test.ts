import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { SessionTokens } from '../../src/auth/index.js';
import { asUserId } from '../../src/ids.js';

const SECRET = 'a-session-secret-of-at-least-32-chars!';
const user = asUserId('6f1c2a44-8a8e-4c3f-9d55-2b0e7f0a1b2c');

describe('session tokens', () => {
  it('carry the user and their token version', async () => {
    const tokens = new SessionTokens(SECRET, 3600);
    const token = await tokens.sign({ userId: user, tokenVersion: 3 });
    expect(await tokens.verify(token)).toEqual({ userId: user, tokenVersion: 3 });
  });

  it('refuse a token signed with another secret, an expired one and garbage', async () => {
    const other = await new SessionTokens('another-secret-of-at-least-32-chars!!', 3600).sign({
      userId: user,
      tokenVersion: 1,
    });
    const tokens = new SessionTokens(SECRET, 3600);
    expect(await tokens.verify(other)).toBeUndefined();
    const expired = await new SessionTokens(SECRET, -10).sign({ userId: user, tokenVersion: 1 });
    expect(await tokens.verify(expired)).toBeUndefined();
    expect(await tokens.verify('not.a.token')).toBeUndefined();
  });

  it('refuse a token of another audience signed with the same secret (a stream token, say)', async () => {
    const foreign = await new SignJWT({ ver: 1 })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user)
      .setAudience('switchboard:assist-feed')
      .setIssuer('switchboard')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(SECRET));
    expect(await new SessionTokens(SECRET, 3600).verify(foreign)).toBeUndefined();
  });
});
