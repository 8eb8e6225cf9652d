import { SignJWT, errors, jwtVerify } from 'jose';
import type { UserId } from '../ids.js';

/**
 * Session tokens: HS256 JWTs signed with JWT_SECRET, the same token in the dashboard's HTTP-only
 * cookie and in an API client's `Authorization: Bearer`. A token names its user and the user's
 * token version: raising the version (new password, sign out everywhere) ends every older session.
 * The user is read again on every request, so a role change or a deleted user takes effect at once.
 */
export interface SessionClaims {
  userId: UserId;
  tokenVersion: number;
}

const AUDIENCE = 'switchboard:session';
const ISSUER = 'switchboard';

export class SessionTokens {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  sign(claims: SessionClaims): Promise<string> {
    return new SignJWT({ ver: claims.tokenVersion })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.userId)
      .setAudience(AUDIENCE)
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key);
  }

  /** The claims, or undefined for a token that is not ours, is expired or is malformed. */
  async verify(token: string): Promise<SessionClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        audience: AUDIENCE,
        issuer: ISSUER,
        algorithms: ['HS256'],
      });
      if (typeof payload.sub !== 'string' || typeof payload['ver'] !== 'number') return undefined;
      return { userId: payload.sub as UserId, tokenVersion: payload['ver'] };
    } catch (err) {
      if (err instanceof errors.JOSEError) return undefined;
      throw err;
    }
  }
}
