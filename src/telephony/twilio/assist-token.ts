import { CallTokenSigner, type CallTokenVerdict } from './call-token.js';
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
  private readonly signer: CallTokenSigner;

  constructor(secret: string, ttlSeconds: number) {
    this.signer = new CallTokenSigner(secret, AUDIENCE, ttlSeconds);
  }

  issue(claims: AssistClaims): Promise<string> {
    return this.signer.sign(claims, { src: claims.source });
  }

  /** The claims, or a reason the token is refused. */
  async verify(token: string): Promise<CallTokenVerdict<AssistClaims>> {
    const v = await this.signer.verify(token);
    if (!v.ok) return v;
    const source = v.claims.payload['src'];
    if (typeof source !== 'string' || !SOURCES.has(source as AssistClaims['source'])) {
      return { ok: false, reason: 'token lacks its source' };
    }
    return {
      ok: true,
      claims: {
        callSid: v.claims.callSid,
        businessId: v.claims.businessId,
        source: source as AssistClaims['source'],
      },
    };
  }
}
