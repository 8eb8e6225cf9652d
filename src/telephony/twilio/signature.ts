import twilio from 'twilio';

/**
 * X-Twilio-Signature checks, delegated to the twilio package's validator (PROTOCOLS.md 2).
 * URLs are always rebuilt from the configured public origin, never from proxy headers.
 */
export interface SignatureVerifier {
  /** Form-encoded webhook: the full public URL (with query) and every POST parameter. */
  webhook(signature: string | undefined, url: string, params: Record<string, string | string[]>): boolean;
  /** Media-stream upgrade: the wss:// URL exactly as our TwiML gave it, with no parameters. */
  streamUpgrade(signature: string | undefined, streamUrl: string): boolean;
}

export function twilioSignatureVerifier(authToken: string): SignatureVerifier {
  return {
    webhook(signature, url, params) {
      if (!signature) return false;
      return twilio.validateRequest(authToken, signature, url, params);
    },
    streamUpgrade(signature, streamUrl) {
      if (!signature) return false;
      // Twilio's docs: a handshake may be signed with or without a trailing slash.
      const alt = streamUrl.endsWith('/') ? streamUrl.slice(0, -1) : `${streamUrl}/`;
      return (
        twilio.validateRequest(authToken, signature, streamUrl, {}) ||
        twilio.validateRequest(authToken, signature, alt, {})
      );
    },
  };
}

/** For SWITCHBOARD_INSECURE_SKIP_TWILIO_SIGNATURE=true in development only. */
export const acceptAllSignatures: SignatureVerifier = {
  webhook: () => true,
  streamUpgrade: () => true,
};

/** Signs as Twilio does: the simulator and tests use it to play Twilio's part. */
export function signTwilioRequest(
  authToken: string,
  url: string,
  params: Record<string, string | string[]> = {},
): string {
  return twilio.getExpectedTwilioSignature(authToken, url, params);
}
