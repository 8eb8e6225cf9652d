import { SignJWT, jwtVerify, errors, type JWTPayload } from 'jose';
import type { BusinessId, CallSid } from '../../ids.js';

/**
 * The signed, short-lived tokens our TwiML hands to a stream as a <Parameter>, so a stream can
 * only attach to the call whose signed webhook made it. Each kind of stream has its own audience:
 * one kind's token never opens another's stream, even when they share a secret.
 */
export interface CallTokenClaims {
  callSid: CallSid;
  businessId: BusinessId;
}

export type CallTokenVerdict<C> = { ok: true; claims: C } | { ok: false; reason: string };

export class CallTokenSigner {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly audience: string,
    private readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  /** `extra`: further claims of this kind of token (short names: the token travels in every stream start). */
  sign(claims: CallTokenClaims, extra: Record<string, string> = {}): Promise<string> {
    return new SignJWT({ biz: claims.businessId, ...extra })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.callSid)
      .setAudience(this.audience)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key);
  }

  /** The call's claims and the token's whole payload (for its extra claims), or why it is refused. */
  async verify(token: string): Promise<CallTokenVerdict<CallTokenClaims & { payload: JWTPayload }>> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        audience: this.audience,
        algorithms: ['HS256'],
      });
      if (typeof payload.sub !== 'string' || typeof payload['biz'] !== 'string') {
        return { ok: false, reason: 'token lacks call or business' };
      }
      return {
        ok: true,
        claims: { callSid: payload.sub as CallSid, businessId: payload['biz'] as BusinessId, payload },
      };
    } catch (err) {
      if (err instanceof errors.JWTExpired) return { ok: false, reason: 'token expired' };
      return { ok: false, reason: 'token invalid' };
    }
  }
}
