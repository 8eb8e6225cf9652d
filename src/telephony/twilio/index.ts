export { registerVoiceWebhooks, type VoiceWebhookPorts } from './webhooks.js';
export { registerMediaStreamRoutes, STREAM_PATHS } from './media-stream-route.js';
export type { StreamCall, StartedStream } from './media-stream.js';
export {
  twilioSignatureVerifier,
  acceptAllSignatures,
  signTwilioRequest,
  type SignatureVerifier,
} from './signature.js';
export { StreamTokens } from './stream-token.js';
export * as streamProtocol from './stream-protocol.js';
export {
  twilioNotificationChannels,
  TwilioSmsChannel,
  TwilioVoiceChannel,
  type TwilioNotificationSettings,
} from './notification-channels.js';
export { TwilioError, TwilioRestClient } from './rest.js';
export { registerAlertRoutes } from './alert-routes.js';
export { createCallController, type BrainRequest } from './call-controller.js';
export { parseOutbound, TwilioFrameBuilder } from './stream-protocol.js';
