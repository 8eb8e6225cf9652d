import { CallTokenSigner, type CallTokenClaims, type CallTokenVerdict } from './call-token.js';

/**
 * The short-lived token our TwiML hands to the media stream as a <Parameter>, so a stream
 * can only attach to the call whose signed webhook created it.
 */
export type StreamClaims = CallTokenClaims;

const AUDIENCE = 'switchboard:media-stream';

export class StreamTokens {
  private readonly signer: CallTokenSigner;

  constructor(secret: string, ttlSeconds: number) {
    this.signer = new CallTokenSigner(secret, AUDIENCE, ttlSeconds);
  }

  issue(claims: StreamClaims): Promise<string> {
    return this.signer.sign(claims);
  }

  /** The claims, or a reason the token is refused. */
  async verify(token: string): Promise<CallTokenVerdict<StreamClaims>> {
    const v = await this.signer.verify(token);
    return v.ok ? { ok: true, claims: { callSid: v.claims.callSid, businessId: v.claims.businessId } } : v;
  }
}
