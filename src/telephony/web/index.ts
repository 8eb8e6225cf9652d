export { registerRoomRoutes, type RoomRoutesDeps } from './room-routes.js';
export { registerWebCallSocket, WEB_MEDIA_PATH, type WebCallSocketDeps } from './call-socket.js';
export { registerCallPageRoutes, type CallPageRoutesOptions } from './call-page-routes.js';
export { liveKitRooms, type LiveKitRooms, type LiveKitSettings } from './livekit.js';
export { RoomTokens, newWebCallSid, type RoomTokenClaims } from './room-token.js';
