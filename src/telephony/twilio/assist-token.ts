import { SignJWT, jwtVerify, errors } from 'jose';
import type { BusinessId, CallSid } from '../../ids.js';

/**
 * The short-lived token our TwiML hands to the assist stream as a <Parameter>. It has its own
 * audience, so a media-stream token never opens the assist stream and an assist token never
 * opens a media stream, even when both are signed with one secret. Single use comes from the
 * call's one assist claim (CallsRepo.claimAssist), not from the token.
 */
export interface AssistClaims {
  callSid: CallSid;
  businessId: BusinessId;
  /** 'dial': a call the business answers itself; 'transfer': an AI call moved to a person. */
  source: 'dial' | 'transfer';
}

const AUDIENCE = 'switchboard:assist-stream';
const SOURCES = new Set<AssistClaims['source']>(['dial', 'transfer']);

export class AssistTokens {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async issue(claims: AssistClaims): Promise<string> {
    return new SignJWT({ biz: claims.businessId, src: claims.source })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.callSid)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key);
  }

  /** The claims, or a reason the token is refused. */
  async verify(token: string): Promise<{ ok: true; claims: AssistClaims } | { ok: false; reason: string }> {
    try {
      const { payload } = await jwtVerify(token, this.key, { audience: AUDIENCE, algorithms: ['HS256'] });
      const source = payload['src'];
      if (typeof payload.sub !== 'string' || typeof payload['biz'] !== 'string') {
        return { ok: false, reason: 'token lacks call or business' };
      }
      if (typeof source !== 'string' || !SOURCES.has(source as AssistClaims['source'])) {
        return { ok: false, reason: 'token lacks its source' };
      }
      return {
        ok: true,
        claims: {
          callSid: payload.sub as CallSid,
          businessId: payload['biz'] as BusinessId,
          source: source as AssistClaims['source'],
        },
      };
    } catch (err) {
      if (err instanceof errors.JWTExpired) return { ok: false, reason: 'token expired' };
      return { ok: false, reason: 'token invalid' };
    }
  }
}
