import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { assertManages, oneBusinessOf, type Access } from '../../http/access.js';
import { ApiError } from '../../http/errors.js';
import { adminRoute, errorBodySchema, queryObject } from '../../http/route-schemas.js';
import type { Logger } from '../../shared/index.js';
import { ROOM_NAME_PATTERN, RoomNameTakenError, type Room, type RoomsRepo } from '../../store/index.js';
import type { LiveKitRooms } from './livekit.js';
import type { RoomTokens } from './room-token.js';

/**
 * Browser-call rooms over HTTP. A business opens a room (POST /room/create) and hands out its
 * link (/call?room=NAME); a visitor, who knows only the name, joins (POST /room/join, public and
 * limited per address) and gets a token. Without LiveKit the token opens our own media socket
 * (GET /room/:name/media); with LiveKit it is a LiveKit access token for that room, and the
 * answer carries our socket's token as well (`media`), which is what the agent answers on.
 * The owner turns the room's agent and recording on and off; another tenant's room is a 404.
 */
export interface RoomRoutesDeps {
  access: Access;
  rooms: Pick<RoomsRepo, 'create' | 'getByName' | 'setAgent' | 'setRecording'>;
  tokens: RoomTokens;
  /** PUBLIC_URL: the room's link and the media socket's address are made from it. */
  publicUrl: string;
  /** LIVEKIT_URL/API_KEY/API_SECRET set: rooms are made there too, and joins get LiveKit tokens. */
  liveKit?: LiveKitRooms;
  /** ROOM_JOINS_PER_MINUTE: joins one client address may make a minute. */
  joinsPerMinute: number;
  log: Pick<Logger, 'warn'>;
}

export const roomName = z
  .string()
  .regex(
    ROOM_NAME_PATTERN,
    'a room name is 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit',
  );

/** Who joins: a name a person types, shown to the agent's side; no markup, no control characters. */
export const identitySchema = z
  .string()
  .trim()
  .regex(
    /^[\p{L}\p{N}][\p{L}\p{N} _.@'-]{0,63}$/u,
    "an identity is 1 to 64 letters, digits, spaces or _ . @ ' -",
  );

const roomSchema = z
  .object({
    room: z.string(),
    agentEnabled: z.boolean(),
    recordingEnabled: z.boolean(),
    joinUrl: z.string().describe('The page a visitor opens to call this room'),
  })
  .meta({ id: 'Room' });

const joinAnswer = z.object({
  token: z
    .string()
    .describe('With LiveKit: a LiveKit access token for the room; else the media socket token'),
  agentPresent: z.boolean().describe('Whether the voice agent answers in this room'),
  url: z.string().describe('With LiveKit: LIVEKIT_URL; else the media socket (ws:// or wss://)'),
  expiresIn: z.number().int().describe('Seconds the token may be used to connect'),
  media: z
    .object({ url: z.string(), token: z.string() })
    .describe("The agent's media socket and its token (the same as url and token without LiveKit)"),
});

const toggleBody = z.strictObject({ enabled: z.boolean() });
const nameParams = z.object({ name: roomName });

export async function registerRoomRoutes(app: FastifyInstance, deps: RoomRoutesDeps): Promise<void> {
  // The auth routes register the limiter on the root; a server of our own (tests) needs it here.
  if (!app.hasPlugin('@fastify/rate-limit')) await app.register(rateLimit, { global: false });
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { access, rooms, tokens } = deps;
  const origin = new URL(deps.publicUrl).origin;
  const wsOrigin = origin.replace(/^http/, 'ws');

  const publicRoom = (r: Room) => ({
    room: r.name,
    agentEnabled: r.agentEnabled,
    recordingEnabled: r.recordingEnabled,
    joinUrl: `${origin}/call?room=${encodeURIComponent(r.name)}`,
  });
  const noRoom = () => new ApiError(404, 'not_found', 'No open room with this name.');

  api.post(
    '/room/create',
    {
      onRequest: access.managers,
      schema: adminRoute({
        summary: 'Open a browser-call room (its name is global: visitors join by it)',
        tags: ['rooms'],
        querystring: queryObject({}),
        body: z.strictObject({
          room: roomName,
          businessId: z.uuid().optional().describe("Default: the signed-in owner's business"),
          agentEnabled: z.boolean().optional().describe('Default true: the voice agent answers'),
          recordingEnabled: z.boolean().optional().describe('Default false'),
        }),
        response: {
          201: roomSchema,
          409: errorBodySchema.describe('The name is taken'),
          502: errorBodySchema.describe('LiveKit did not make the room'),
        },
      }),
    },
    async (req, reply) => {
      const { room: name, businessId: requested, agentEnabled, recordingEnabled } = req.body;
      const businessId = assertManages(req, oneBusinessOf(req, requested));
      if (await rooms.getByName(name)) throw taken(name);
      if (deps.liveKit) {
        try {
          await deps.liveKit.createRoom(name);
        } catch (err) {
          deps.log.warn({ err: errorSummary(err) }, 'LiveKit CreateRoom failed');
          throw new ApiError(502, 'livekit_unavailable', 'LiveKit did not create the room; try again.');
        }
      }
      try {
        const room = await rooms.create({
          businessId,
          name,
          ...(agentEnabled !== undefined ? { agentEnabled } : {}),
          ...(recordingEnabled !== undefined ? { recordingEnabled } : {}),
        });
        return reply.code(201).send(publicRoom(room));
      } catch (err) {
        if (err instanceof RoomNameTakenError) throw taken(name);
        throw err;
      }
    },
  );

  api.post(
    '/room/join',
    {
      config: { rateLimit: { max: deps.joinsPerMinute, timeWindow: 60_000 } },
      schema: {
        summary: 'Join a room by its name: a token to connect with (public, limited per address)',
        tags: ['rooms'],
        querystring: queryObject({}),
        body: z.strictObject({ room: roomName, identity: identitySchema }),
        response: {
          200: joinAnswer,
          400: errorBodySchema.describe('The input is not valid'),
          404: errorBodySchema.describe('No open room with this name'),
          429: errorBodySchema.describe('Too many joins from this address'),
        },
      },
    },
    async (req) => {
      const { room: name, identity } = req.body;
      const room = await rooms.getByName(name);
      if (!room || room.closedAt) throw noRoom();
      const media = {
        url: `${wsOrigin}/room/${encodeURIComponent(room.name)}/media`,
        token: await tokens.issue({ room: room.name, businessId: room.businessId, identity }),
      };
      const base = { agentPresent: room.agentEnabled, expiresIn: tokens.ttlSeconds, media };
      if (!deps.liveKit) return { ...base, token: media.token, url: media.url };
      const token = await deps.liveKit.joinToken({
        room: room.name,
        identity,
        ttlSeconds: tokens.ttlSeconds,
      });
      return { ...base, token, url: deps.liveKit.url };
    },
  );

  const toggles = [
    ['agent', "Turn the room's voice agent on or off (off: joins say agentPresent false)"],
    ['recording', 'Turn recording of calls in the room on or off'],
  ] as const;
  for (const [what, summary] of toggles) {
    api.post(
      `/room/:name/${what}`,
      {
        onRequest: access.managers,
        schema: adminRoute({
          summary,
          tags: ['rooms'],
          querystring: queryObject({}),
          params: nameParams,
          body: toggleBody,
          response: { 200: roomSchema },
        }),
      },
      async (req) => {
        const found = await rooms.getByName(req.params.name);
        if (!found) throw noRoom();
        // Another tenant's room answers as if it did not exist.
        const businessId = assertManages(req, found.businessId);
        const enabled = req.body.enabled;
        const room =
          what === 'agent'
            ? await rooms.setAgent(businessId, found.name, enabled)
            : await rooms.setRecording(businessId, found.name, enabled);
        if (!room) throw noRoom();
        return publicRoom(room);
      },
    );
  }
}

const taken = (name: string) =>
  new ApiError(409, 'conflict', `A room named "${name}" already exists; choose another name.`);

/** What a failed LiveKit call says, without the request (its bearer token) that a client error may carry. */
function errorSummary(err: unknown): { message: string; status?: number } {
  const e = err as { message?: unknown; status?: unknown };
  return {
    message: typeof e.message === 'string' ? e.message.slice(0, 200) : String(err).slice(0, 200),
    ...(typeof e.status === 'number' ? { status: e.status } : {}),
  };
}
