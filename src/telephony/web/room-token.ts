import { randomBytes } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { asCallSid, type BusinessId, type CallSid } from '../../ids.js';

/**
 * Our own short-lived token for a browser call's media socket (when LiveKit is not configured):
 * HS256, its own audience, naming the room, its business, the visitor and the call it opens. The
 * call's id is fixed when the token is issued, so a token opens one call only: a second use finds
 * the call already claimed (CallsRepo.claimStream), on any node.
 */
export interface RoomTokenClaims {
  room: string;
  businessId: BusinessId;
  identity: string;
  callSid: CallSid;
}

const AUDIENCE = 'switchboard:room-media';

/** 'WB' and 32 hex digits: a browser call's id, shaped like Twilio's CallSids so it fits everywhere. */
export const newWebCallSid = (): CallSid => asCallSid(`WB${randomBytes(16).toString('hex')}`);

export class RoomTokens {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    readonly ttlSeconds: number,
  ) {
    if (secret.length < 16) throw new Error('the room token secret must have at least 16 characters');
    this.key = new TextEncoder().encode(secret);
  }

  issue(claims: Omit<RoomTokenClaims, 'callSid'>): Promise<string> {
    return new SignJWT({ room: claims.room, biz: claims.businessId, call: newWebCallSid() })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.identity)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key);
  }

  async verify(
    token: string,
  ): Promise<{ ok: true; claims: RoomTokenClaims } | { ok: false; reason: string }> {
    try {
      const { payload } = await jwtVerify(token, this.key, { audience: AUDIENCE, algorithms: ['HS256'] });
      const { sub, room, biz, call } = payload;
      if (
        typeof sub !== 'string' ||
        typeof room !== 'string' ||
        typeof biz !== 'string' ||
        typeof call !== 'string' ||
        !/^WB[0-9a-f]{32}$/.test(call)
      )
        return { ok: false, reason: 'token lacks room, business, identity or call' };
      return {
        ok: true,
        claims: { room, businessId: biz as BusinessId, identity: sub, callSid: asCallSid(call) },
      };
    } catch (err) {
      if (err instanceof errors.JWTExpired) return { ok: false, reason: 'token expired' };
      return { ok: false, reason: 'token invalid' };
    }
  }
}
