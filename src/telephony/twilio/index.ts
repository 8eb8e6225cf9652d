export { registerVoiceWebhooks, type VoiceWebhookPorts } from './webhooks.js';
export { greetingForMessage, registerMessageRoute, type MessageRouteDeps } from './message-taking.js';
export { registerMediaStreamRoutes, STREAM_PATHS } from './media-stream-route.js';
export type { StreamCall, StartedStream } from './media-stream.js';
export {
  twilioSignatureVerifier,
  acceptAllSignatures,
  signTwilioRequest,
  type SignatureVerifier,
} from './signature.js';
export { StreamTokens } from './stream-token.js';
export { AssistTokens, type AssistClaims } from './assist-token.js';
export {
  registerAssistWebhook,
  ASSIST_VOICE_PATH,
  type AssistWebhookPorts,
  type AssistWebhookDeps,
} from './assist-webhook.js';
export {
  registerAssistStreamRoute,
  ASSIST_STREAM_PATH,
  type AssistStreamRouteDeps,
} from './assist-stream-route.js';
export type { AssistPeer, AssistStreamCall, AssistStreamDeps, AssistStreamStart } from './assist-stream.js';
export { assistedDialTwiml, dialTwiml, type AssistStreamTwiml } from './twiml.js';
export * as streamProtocol from './stream-protocol.js';
export {
  twilioNotificationChannels,
  TwilioSmsChannel,
  TwilioVoiceChannel,
  type TwilioNotificationSettings,
} from './notification-channels.js';
export { TwilioError, TwilioRestClient } from './rest.js';
export { registerAlertRoutes } from './alert-routes.js';
export { createCallController, type BrainRequest, type CallControllerDeps } from './call-controller.js';
export {
  parseOutbound,
  TwilioFrameBuilder,
  type FrameBuilderOptions,
  type MediaTrack,
} from './stream-protocol.js';
export {
  OutboundCalls,
  RetryLaterError,
  type OutboundCallsDeps,
  type OutboundChannel,
  type PlaceCallInput,
  type PlacedCall,
} from './outbound-calls.js';
export { registerOutboundCallRoutes, type OutboundRoutesDeps } from './outbound-routes.js';
export { DIAL_STATUS_PATH, ROUTING_PATH } from './phone-menu.js';
export { type VoiceRecordReplyDeps, type VoiceWebhookDeps } from './webhooks.js';
export type { RecordReplyCall, RecordReplyDeps } from './record-reply.js';
export type { RecordingSource } from './record-reply-download.js';
export { PROCESS_VOICE_PATH, STREAM_ENDED_PATH } from './record-reply-twiml.js';
export {
  registerWhatsAppMessageRoute,
  WHATSAPP_MESSAGE_PATH,
  type WhatsAppMessageDeps,
} from './whatsapp-message.js';
export { registerWhatsAppSendApi, WHATSAPP_SEND_PATH, type WhatsAppSendDeps } from './whatsapp-send.js';
export { StoredWhatsAppInbox, type WhatsAppInbox } from './whatsapp-inbox.js';
export { TwilioWhatsAppChannel, type TwilioWhatsAppOptions } from './whatsapp-channel.js';
