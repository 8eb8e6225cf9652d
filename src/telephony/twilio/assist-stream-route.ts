import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from '../../http/errors.js';
import { handleAssistStream, type AssistPeer, type AssistStreamDeps } from './assist-stream.js';
import type { SignatureVerifier } from './signature.js';

/** The assist stream's path on this server (Config.assist.streamUrl points here by default). */
export const ASSIST_STREAM_PATH = '/assist/stream';

export interface AssistStreamRouteDeps extends AssistStreamDeps {
  verifier: SignatureVerifier;
  publicUrl: string;
  /**
   * Config.assist.streamUrl, when it names this server under another address: Twilio signs the
   * URL exactly as our TwiML gave it, so an upgrade signed over it is accepted too.
   */
  streamUrl?: string;
  /** Whether a bearer credential is the assist key (compared in constant time). */
  isAssistKey(candidate: string): boolean;
}

/** The bearer credential of an upgrade, if it carries one. */
function bearerOf(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

/**
 * WS /assist/stream. The upgrade proves who is calling before any frame is read: a forwarder by
 * the assist key (`Authorization: Bearer`), Twilio by its signature over the wss:// URL our TwiML
 * gave it, as on /twilio/stream. Anything else is refused with 403.
 */
export function registerAssistStreamRoute(app: FastifyInstance, deps: AssistStreamRouteDeps): void {
  const wsOrigin = (() => {
    const u = new URL(deps.publicUrl);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    return u.origin;
  })();

  const peerOf = (req: FastifyRequest): AssistPeer | { refused: string } => {
    const bearer = bearerOf(req);
    if (req.headers.authorization !== undefined) {
      // A credential that is not the key is refused, whatever else the upgrade carries.
      return bearer !== undefined && deps.isAssistKey(bearer)
        ? { kind: 'forwarder' }
        : { refused: 'bad-key' };
    }
    const pathname = req.url.split('?')[0] ?? req.url;
    const signature = req.headers['x-twilio-signature'];
    const given = typeof signature === 'string' ? signature : undefined;
    const signedUrls = [wsOrigin + pathname, ...(deps.streamUrl ? [deps.streamUrl] : [])];
    if (signedUrls.some((url) => deps.verifier.streamUpgrade(given, url))) return { kind: 'twilio' };
    return { refused: signature ? 'bad-signature' : 'no-signature' };
  };

  const checkUpgrade = async (req: FastifyRequest, reply: FastifyReply) => {
    const peer = peerOf(req);
    if (!('refused' in peer)) return;
    deps.metrics.rejectedWebhooks.inc({ route: 'assist-stream', reason: peer.refused });
    deps.log.warn({ reason: peer.refused }, 'assist stream upgrade refused');
    await sendError(reply, 403, 'forbidden', 'This stream is not authenticated.');
  };

  app.get(ASSIST_STREAM_PATH, { websocket: true, preValidation: checkUpgrade }, (socket, req) => {
    const peer = peerOf(req);
    // preValidation refused every other case; a changed request is refused here too.
    if ('refused' in peer) {
      socket.close(1008, 'refused');
      return;
    }
    handleAssistStream(socket, deps, peer);
  });
}
