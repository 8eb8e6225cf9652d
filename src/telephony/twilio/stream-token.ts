import { SignJWT, jwtVerify, errors } from 'jose';
import type { BusinessId, CallSid } from '../../ids.js';

/**
 * The short-lived token our TwiML hands to the media stream as a <Parameter>, so a stream
 * can only attach to the call whose signed webhook created it.
 */
export interface StreamClaims {
  callSid: CallSid;
  businessId: BusinessId;
}

const AUDIENCE = 'switchboard:media-stream';

export class StreamTokens {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async issue(claims: StreamClaims): Promise<string> {
    return new SignJWT({ biz: claims.businessId })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.callSid)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key);
  }

  /** The claims, or a reason the token is refused. */
  async verify(token: string): Promise<{ ok: true; claims: StreamClaims } | { ok: false; reason: string }> {
    try {
      const { payload } = await jwtVerify(token, this.key, { audience: AUDIENCE, algorithms: ['HS256'] });
      if (typeof payload.sub !== 'string' || typeof payload['biz'] !== 'string') {
        return { ok: false, reason: 'token lacks call or business' };
      }
      return {
        ok: true,
        claims: { callSid: payload.sub as CallSid, businessId: payload['biz'] as BusinessId },
      };
    } catch (err) {
      if (err instanceof errors.JWTExpired) return { ok: false, reason: 'token expired' };
      return { ok: false, reason: 'token invalid' };
    }
  }
}
