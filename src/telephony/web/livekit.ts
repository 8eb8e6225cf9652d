import { AccessToken, RoomServiceClient } from 'livekit-server-sdk';

/** LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET: all three, or LiveKit is not used. */
export interface LiveKitSettings {
  /** The LiveKit server as clients reach it (wss://...); the RoomService is the same host over https. */
  url: string;
  apiKey: string;
  apiSecret: string;
}

/** What the room routes need of LiveKit: rooms made on its server, and join tokens it accepts. */
export interface LiveKitRooms {
  readonly url: string;
  createRoom(name: string): Promise<void>;
  joinToken(req: { room: string; identity: string; ttlSeconds: number }): Promise<string>;
}

/** Empty rooms are closed by LiveKit after this long; a visitor's join recreates nothing (we do). */
const EMPTY_TIMEOUT_SECONDS = 10 * 60;

export function liveKitRooms(settings: LiveKitSettings): LiveKitRooms {
  // RoomServiceClient turns ws(s):// into http(s):// itself and mints a short service token per call.
  const service = new RoomServiceClient(settings.url, settings.apiKey, settings.apiSecret);
  return {
    url: settings.url,
    async createRoom(name) {
      await service.createRoom({ name, emptyTimeout: EMPTY_TIMEOUT_SECONDS });
    },
    async joinToken({ room, identity, ttlSeconds }) {
      const token = new AccessToken(settings.apiKey, settings.apiSecret, {
        identity,
        name: identity,
        ttl: ttlSeconds,
      });
      token.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true, canPublishData: true });
      return token.toJwt();
    },
  };
}
