export { registerChatWidget, type ChatWidgetDeps } from './chat-routes.js';
export { DEFAULT_CHAT_LIMITS, type ChatLimits } from './chat-socket.js';
export {
  clientMessageSchema,
  serverMessageSchema,
  type ClientMessage,
  type ServerMessage,
  type WidgetLevel,
} from './chat-protocol.js';
