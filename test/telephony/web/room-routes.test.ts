import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import { TokenVerifier } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusinessesRepo, RoomsRepo, type Db } from '../../../src/store/index.js';
import { liveKitRooms, registerRoomRoutes, RoomTokens } from '../../../src/telephony/web/index.js';
import { silentLogger, useDatabase } from '../../store/drivers.js';
import { createAccessTestApp, type AccessTestApp, type Credentials } from '../../support/access.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const PUBLIC_URL = 'https://calls.example.com';
const ROOM_SECRET = 'room-token-secret-0123456789abcdef';
const LK_KEY = 'APIlocalKey123';
const LK_SECRET = 'livekit-local-secret-0123456789abcdef0123';

/** A LiveKit RoomService stand-in: answers Twirp CreateRoom as documented and keeps each request. */
async function fakeLiveKit(opts: { fail?: boolean } = {}) {
  const requests: { url: string; headers: IncomingHttpHeaders; body: Json }[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = raw ? (JSON.parse(raw) as Json) : {};
      requests.push({ url: req.url ?? '', headers: req.headers, body });
      if (req.method !== 'POST' || req.url !== '/twirp/livekit.RoomService/CreateRoom' || opts.fail) {
        res.writeHead(opts.fail ? 500 : 404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: opts.fail ? 'internal' : 'bad_route', msg: 'no' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ sid: 'RM_local1', name: body['name'], emptyTimeout: body['emptyTimeout'] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `ws://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(r)) };
}

describe('browser-call rooms over HTTP (/room/*)', () => {
  const store = useDatabase({ name: 'pglite' });
  let db: Db;
  let t: AccessTestApp;
  let acme: string;
  let other: string;
  let owner: Credentials;
  let otherOwner: Credentials;
  let agent: Credentials;
  const tokens = new RoomTokens(ROOM_SECRET, 120);

  let requests = 0;
  /** Each request from its own address unless one is given: the join limit decides only its own test. */
  const post = (
    url: string,
    who: Credentials | undefined,
    payload: Json,
    remoteAddress = `10.8.${Math.floor(++requests / 250)}.${(requests % 250) + 1}`,
  ) =>
    t.server.inject({
      method: 'POST',
      url,
      payload,
      remoteAddress,
      ...(who ? { headers: who.headers, ...(who.cookies ? { cookies: who.cookies } : {}) } : {}),
    });

  beforeAll(async () => {
    db = store.database.db;
    const businesses = new BusinessesRepo(db);
    acme = (await businesses.create({ name: 'Acme Plumbing', greeting: 'Hi' })).id;
    other = (await businesses.create({ name: 'Bright Smiles', greeting: 'Hello' })).id;
    t = await createAccessTestApp(db);
    await registerRoomRoutes(t.server, {
      access: t.access,
      rooms: new RoomsRepo(db),
      tokens,
      publicUrl: PUBLIC_URL,
      joinsPerMinute: 5,
      log: silentLogger,
    });
    await t.server.ready();
    owner = (await t.signIn('owner', acme)).bearer;
    otherOwner = (await t.signIn('owner', other)).bearer;
    agent = (await t.signIn('agent', acme)).bearer;
  });
  afterAll(async () => {
    await t?.close();
  });

  it("creates a room for the signed-in owner's business, with its link", async () => {
    const res = await post('/room/create', owner, { room: 'acme-front' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toEqual({
      room: 'acme-front',
      agentEnabled: true,
      recordingEnabled: false,
      joinUrl: 'https://calls.example.com/call?room=acme-front',
    });
    expect((await new RoomsRepo(db).getByName('acme-front'))?.businessId).toBe(acme);
  });

  it('refuses a taken name (409), a bad name (400), agents (403) and strangers (401)', async () => {
    await post('/room/create', owner, { room: 'taken' });
    const again = await post('/room/create', otherOwner, { room: 'taken' });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: 'conflict', message: expect.stringContaining('"taken"') });
    expect((await post('/room/create', owner, { room: '../etc' })).statusCode).toBe(400);
    expect((await post('/room/create', agent, { room: 'by-agent' })).statusCode).toBe(403);
    expect((await post('/room/create', undefined, { room: 'by-nobody' })).statusCode).toBe(401);
  });

  it('makes the API key name the business, and only a business that exists', async () => {
    expect((await post('/room/create', t.apiKey, { room: 'key-room' })).statusCode).toBe(400);
    const res = await post('/room/create', t.apiKey, { room: 'key-room', businessId: other });
    expect(res.statusCode).toBe(201);
    expect((await new RoomsRepo(db).getByName('key-room'))?.businessId).toBe(other);
    // An owner cannot open a room for another business.
    expect((await post('/room/create', owner, { room: 'sneaky', businessId: other })).statusCode).toBe(404);
  });

  it('lets a visitor join by name: our own token for the media socket, naming room, business and visitor', async () => {
    await post('/room/create', owner, { room: 'join-me' });
    const res = await post('/room/join', undefined, { room: 'join-me', identity: 'Dana Smith' });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      agentPresent: true,
      url: 'wss://calls.example.com/room/join-me/media',
      expiresIn: 120,
    });
    expect(body.media).toEqual({ url: body.url, token: body.token });
    const verdict = await tokens.verify(body.token);
    expect(verdict.ok && verdict.claims).toMatchObject({
      room: 'join-me',
      businessId: acme,
      identity: 'Dana Smith',
    });
    expect(verdict.ok && verdict.claims.callSid).toMatch(/^WB[0-9a-f]{32}$/);
    // Another secret's token, or a LiveKit one, does not open the socket.
    expect((await new RoomTokens('another-secret-0123456789abcdef', 120).verify(body.token)).ok).toBe(false);
  });

  it('answers 404 for an unknown or closed room, and 400 for an identity that is not a name', async () => {
    expect((await post('/room/join', undefined, { room: 'nowhere', identity: 'Dana' })).statusCode).toBe(404);
    await post('/room/create', owner, { room: 'closing' });
    await new RoomsRepo(db).close(acme as never, 'closing');
    expect((await post('/room/join', undefined, { room: 'closing', identity: 'Dana' })).statusCode).toBe(404);
    for (const identity of ['', '<script>', 'x'.repeat(65), 'a\nb'])
      expect((await post('/room/join', undefined, { room: 'join-me', identity })).statusCode, identity).toBe(
        400,
      );
  });

  it("turns the room's agent and recording on and off for its own business only", async () => {
    await post('/room/create', owner, { room: 'toggles' });
    const off = await post('/room/toggles/agent', owner, { enabled: false });
    expect(off.statusCode, off.body).toBe(200);
    expect(off.json()).toMatchObject({ room: 'toggles', agentEnabled: false, recordingEnabled: false });
    const join = await post('/room/join', undefined, { room: 'toggles', identity: 'Lee' }, '10.9.0.2');
    expect(join.json()).toMatchObject({ agentPresent: false });
    const rec = await post('/room/toggles/recording', owner, { enabled: true });
    expect(rec.json()).toMatchObject({ agentEnabled: false, recordingEnabled: true });

    // Another tenant's room is not there for them; an unknown room is not there for anyone.
    expect((await post('/room/toggles/agent', otherOwner, { enabled: true })).statusCode).toBe(404);
    expect((await post('/room/toggles/recording', otherOwner, { enabled: false })).statusCode).toBe(404);
    expect((await post('/room/ghost/agent', owner, { enabled: true })).statusCode).toBe(404);
    expect((await post('/room/toggles/agent', agent, { enabled: true })).statusCode).toBe(403);
    expect(await new RoomsRepo(db).getByName('toggles')).toMatchObject({
      agentEnabled: false,
      recordingEnabled: true,
    });
    expect((await post('/room/toggles/agent', owner, { enabled: 'yes' })).statusCode).toBe(400);
  });

  it('limits joins per client address', async () => {
    await post('/room/create', owner, { room: 'busy' });
    const codes: number[] = [];
    for (let i = 0; i < 7; i++)
      codes.push(
        (await post('/room/join', undefined, { room: 'busy', identity: 'Sam' }, '10.9.9.9')).statusCode,
      );
    expect(codes.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(codes.slice(5)).toEqual([429, 429]);
    expect(
      (await post('/room/join', undefined, { room: 'busy', identity: 'Sam' }, '10.9.9.10')).statusCode,
    ).toBe(200);
  });

  describe('with LiveKit', () => {
    let lk: Awaited<ReturnType<typeof fakeLiveKit>>;
    let down: Awaited<ReturnType<typeof fakeLiveKit>>;
    let withLk: AccessTestApp;
    let broken: AccessTestApp;
    let lkOwner: Credentials;
    let brokenOwner: Credentials;

    beforeAll(async () => {
      lk = await fakeLiveKit();
      down = await fakeLiveKit({ fail: true });
      const deps = {
        rooms: new RoomsRepo(db),
        tokens,
        publicUrl: PUBLIC_URL,
        joinsPerMinute: 100,
        log: silentLogger,
      };
      withLk = await createAccessTestApp(db);
      await registerRoomRoutes(withLk.server, {
        ...deps,
        access: withLk.access,
        liveKit: liveKitRooms({ url: lk.url, apiKey: LK_KEY, apiSecret: LK_SECRET }),
      });
      broken = await createAccessTestApp(db);
      await registerRoomRoutes(broken.server, {
        ...deps,
        access: broken.access,
        liveKit: liveKitRooms({ url: down.url, apiKey: LK_KEY, apiSecret: LK_SECRET }),
      });
      lkOwner = (await withLk.signIn('owner', acme)).bearer;
      brokenOwner = (await broken.signIn('owner', acme)).bearer;
    });
    afterAll(async () => {
      await withLk?.close();
      await broken?.close();
      await lk?.close();
      await down?.close();
    });

    it("creates the room on LiveKit's RoomService (Twirp CreateRoom, a roomCreate service token)", async () => {
      const res = await withLk.server.inject({
        method: 'POST',
        url: '/room/create',
        headers: lkOwner.headers,
        payload: { room: 'lk-room' },
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(lk.requests).toHaveLength(1);
      const [req] = lk.requests;
      expect(req!.url).toBe('/twirp/livekit.RoomService/CreateRoom');
      expect(req!.headers['content-type']).toMatch(/^application\/json/);
      expect(req!.body).toMatchObject({ name: 'lk-room' });
      const bearer = /^Bearer (.+)$/.exec(req!.headers.authorization ?? '')?.[1];
      const grants = await new TokenVerifier(LK_KEY, LK_SECRET).verify(bearer!);
      expect(grants.video?.roomCreate).toBe(true);
    });

    it('joins with a real LiveKit access token for that room, and LIVEKIT_URL', async () => {
      const res = await withLk.server.inject({
        method: 'POST',
        url: '/room/join',
        payload: { room: 'lk-room', identity: 'Dana' },
      });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ url: lk.url, agentPresent: true, expiresIn: 120 });
      const claims = await new TokenVerifier(LK_KEY, LK_SECRET).verify(body.token);
      expect(claims.sub).toBe('Dana');
      expect(claims.name).toBe('Dana');
      expect(claims.video).toMatchObject({
        roomJoin: true,
        room: 'lk-room',
        canPublish: true,
        canSubscribe: true,
      });
      expect(claims.video?.roomCreate).toBeFalsy();
      const { exp, nbf } = decodeJwt(body.token);
      expect(exp! - nbf!).toBe(120);
      // Signed with another secret, it is refused.
      await expect(
        new TokenVerifier(LK_KEY, 'another-secret-0123456789abcdef0123').verify(body.token),
      ).rejects.toThrow();
      // The agent's media socket still has its own token.
      expect((await tokens.verify(body.media.token)).ok).toBe(true);
    });

    it('stores nothing when LiveKit does not make the room (502)', async () => {
      const res = await broken.server.inject({
        method: 'POST',
        url: '/room/create',
        headers: brokenOwner.headers,
        payload: { room: 'lk-down' },
      });
      expect(res.statusCode).toBe(502);
      expect(res.json()).toMatchObject({ error: 'livekit_unavailable' });
      expect(JSON.stringify(res.json())).not.toContain(LK_SECRET);
      expect(await new RoomsRepo(db).getByName('lk-down')).toBeUndefined();
    });
  });
});
