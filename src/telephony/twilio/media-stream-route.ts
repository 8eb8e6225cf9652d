import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from '../../http/errors.js';
import { handleMediaStream, type MediaStreamDeps } from './media-stream.js';
import type { SignatureVerifier } from './signature.js';

/** The stream paths: the one our TwiML names, and the aliases older integrations use. */
export const STREAM_PATHS = ['/twilio/stream', '/twilio/stream/:callSid', '/ws/twilio/:callId'] as const;

export function registerMediaStreamRoutes(
  app: FastifyInstance,
  deps: MediaStreamDeps & { verifier: SignatureVerifier; publicUrl: string },
): void {
  const wsOrigin = (() => {
    const u = new URL(deps.publicUrl);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    return u.origin;
  })();

  /** The upgrade is signed like a webhook: over the wss:// URL as our TwiML gave it, no params. */
  const checkUpgrade = async (req: FastifyRequest, reply: FastifyReply) => {
    const pathname = req.url.split('?')[0] ?? req.url;
    const signature = req.headers['x-twilio-signature'];
    if (
      !deps.verifier.streamUpgrade(typeof signature === 'string' ? signature : undefined, wsOrigin + pathname)
    ) {
      deps.metrics.rejectedWebhooks.inc({
        route: 'stream',
        reason: signature ? 'bad-signature' : 'no-signature',
      });
      deps.log.warn('media stream upgrade refused: signature check failed');
      await sendError(reply, 403, 'forbidden', 'The Twilio signature of this stream is not valid.');
    }
  };

  for (const path of STREAM_PATHS) {
    app.get(path, { websocket: true, preValidation: checkUpgrade }, (socket, req) => {
      const params = req.params as { callSid?: string; callId?: string };
      handleMediaStream(socket, deps, params.callSid ?? params.callId);
    });
  }
}
