import { createHmac, randomBytes } from 'node:crypto';
import { SignJWT, errors, jwtVerify } from 'jose';
import type { BusinessId } from '../../ids.js';
import type { ConversationId } from '../../conversations/index.js';

/**
 * The widget's resume token: a signed (HS256) note of which conversation a browser is in, for
 * which business and which visitor. The widget keeps it in localStorage per business key and
 * sends it in its `hello`, so a reload carries on the same conversation. It grants nothing but
 * that conversation's own transcript, which the same browser has already seen.
 *
 * The signing key is derived from the secret the app passes (HMAC with a fixed label), so even
 * a secret shared with another token kind can never make one token pass as the other.
 */

const ISSUER = 'switchboard';
const AUDIENCE = 'chat-resume';
const LABEL = 'switchboard chat resume token v1';
/** A visitor who comes back within this long carries on; later, a new conversation. */
export const RESUME_TTL_SECONDS = 30 * 24 * 3600;

export interface ResumeClaims {
  conversationId: ConversationId;
  businessId: BusinessId;
  visitorId: string;
}

/** Visitor ids are ours (never the browser's say): v_ and 24 hex. */
export const VISITOR_ID = /^v_[0-9a-f]{24}$/;
export function newVisitorId(): string {
  return `v_${randomBytes(12).toString('hex')}`;
}

export class ResumeTokens {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly nowMs: () => number = Date.now,
  ) {
    if (secret.length < 32) throw new Error('the chat resume token secret must be at least 32 characters');
    this.key = new Uint8Array(createHmac('sha256', secret).update(LABEL).digest());
  }

  async sign(claims: ResumeClaims): Promise<string> {
    const now = Math.floor(this.nowMs() / 1000);
    return new SignJWT({ biz: claims.businessId, vis: claims.visitorId })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(claims.conversationId)
      .setIssuedAt(now)
      .setExpirationTime(now + RESUME_TTL_SECONDS)
      .sign(this.key);
  }

  /** The claims of a good token; undefined for a forged, expired or malformed one. */
  async verify(token: string): Promise<ResumeClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        currentDate: new Date(this.nowMs()),
      });
      const { sub, biz, vis } = payload;
      if (typeof sub !== 'string' || typeof biz !== 'string' || typeof vis !== 'string') return undefined;
      if (!VISITOR_ID.test(vis)) return undefined;
      return { conversationId: sub as ConversationId, businessId: biz as BusinessId, visitorId: vis };
    } catch (err) {
      if (err instanceof errors.JOSEError || err instanceof TypeError) return undefined;
      throw err;
    }
  }
}
