import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Notifier, type AlertEscalations } from '../../../src/notify/index.js';
import { asCallSid, type BusinessId } from '../../../src/ids.js';
import {
  BusinessesRepo,
  CallsRepo,
  ConversationsRepo,
  DEMO_BUSINESS,
  DEMO_BUSINESS_ID,
  DEMO_PHONE_NUMBER,
  seedDemoBusiness,
  type Database,
} from '../../../src/store/index.js';
import { MemoryRateCounter } from '../../../src/store/rate/index.js';
import { outbox } from '../../../src/store/schema/index.js';
import { StoredWhatsAppInbox } from '../../../src/telephony/twilio/whatsapp-inbox.js';
import { registerWhatsAppSendApi, WHATSAPP_SEND_PATH } from '../../../src/telephony/twilio/whatsapp-send.js';
import { createAccessTestApp, type AccessTestApp, type Credentials } from '../../support/access.js';
import { createTestTarget, silentLogger, type TestTarget } from '../../store/drivers.js';

/**
 * POST /whatsapp/send: the business writes to a WhatsApp contact through the outbox. Free text
 * only within 24 hours of the contact's last message (PROTOCOLS.md 4.3), else 422
 * whatsapp_window_closed and nothing stored; a template (contentSid) at any time.
 */

const SENDER = 'whatsapp:+14155238886';
const BUSINESS_ADDRESS = `whatsapp:${DEMO_PHONE_NUMBER}`;
const RECENT = 'whatsapp:+14017122661'; // wrote an hour ago
const STALE = 'whatsapp:+14017122662'; // wrote 25 hours ago
const NEVER = 'whatsapp:+14017122663';
const TEMPLATE = `HX${'0123456789abcdef'.repeat(2)}`;
const NOW = new Date('2026-12-07T12:00:00Z');
const HOUR = 3_600_000;

let target: TestTarget;
let database: Database;
let t: AccessTestApp;
let owner: Credentials;
let otherBusiness: BusinessId;

/** A contact's conversation whose last inbound message was at `at`. */
async function wrote(businessId: BusinessId, partyKey: string, at: Date, to?: string): Promise<void> {
  const repo = new ConversationsRepo(database.db);
  const { conversation } = await repo.openOrCreate(
    { businessId, channel: 'whatsapp', partyKey },
    at,
    async (tx) =>
      (
        await new CallsRepo(tx).create({
          callSid: asCallSid(`WA${randomBytes(16).toString('hex')}`),
          businessId,
          channel: 'whatsapp',
          status: 'in-progress',
          from: partyKey,
          to: to ?? null,
        })
      ).call,
  );
  await repo.touch(conversation.id, at, { inbound: true });
}

const send = (body: unknown, creds: Credentials = owner, query = '') =>
  t.server.inject({
    method: 'POST',
    url: `${WHATSAPP_SEND_PATH}${query}`,
    payload: body as object,
    ...creds,
  });
const rows = () => database.db.select().from(outbox).where(eq(outbox.cause, 'whatsapp-send'));

beforeAll(async () => {
  target = await createTestTarget('pglite');
  database = await target.open();
  await seedDemoBusiness(database.db, silentLogger);
  otherBusiness = (
    await new BusinessesRepo(database.db).create({
      ...DEMO_BUSINESS,
      name: 'Other Plumbing',
      phoneNumbers: [],
    })
  ).id;
  await wrote(DEMO_BUSINESS_ID, RECENT, new Date(NOW.getTime() - HOUR), BUSINESS_ADDRESS);
  await wrote(DEMO_BUSINESS_ID, STALE, new Date(NOW.getTime() - 25 * HOUR));
  t = await createAccessTestApp(database.db);
  const conversations = new ConversationsRepo(database.db);
  registerWhatsAppSendApi(t.server, {
    access: t.access,
    conversations: {
      lastInboundAt: (businessId, channel, partyKey) =>
        conversations.lastInboundAt({ businessId, channel, partyKey }),
    },
    inbox: new StoredWhatsAppInbox(database.db),
    notifier: new Notifier({ db: database.db, outbox: { wake() {} }, escalations: {} as AlertEscalations }),
    from: SENDER,
    now: () => NOW,
  });
  await t.server.ready();
  owner = (await t.signIn('owner', DEMO_BUSINESS_ID)).bearer;
});
afterAll(async () => {
  await t?.close();
  await database?.close();
  await target?.cleanup();
});
beforeEach(async () => {
  await database.db.delete(outbox);
});

describe('POST /whatsapp/send', () => {
  it('free text within 24 hours of the contact’s last message: 202 and one queued WhatsApp row, from the address they wrote to', async () => {
    const res = await send({ to: RECENT, message: 'Your plumber is on the way.' });
    expect(res.statusCode).toBe(202);
    const body = res.json<{ id: string; status: string }>();
    expect(body).toEqual({ id: expect.any(String), status: 'queued' });
    const [row, ...more] = await rows();
    expect(more).toEqual([]);
    expect(row).toMatchObject({
      id: body.id,
      businessId: DEMO_BUSINESS_ID,
      kind: 'whatsapp',
      status: 'pending',
      recipient: RECENT,
      body: 'Your plumber is on the way.',
      payload: { from: BUSINESS_ADDRESS },
    });
  });

  it('takes the contact as +E164 too', async () => {
    const res = await send({ to: RECENT.slice('whatsapp:'.length), message: 'Hello again' });
    expect(res.statusCode).toBe(202);
    expect((await rows())[0]?.recipient).toBe(RECENT);
  });

  it.each([
    ['wrote 25 hours ago', STALE],
    ['never wrote', NEVER],
  ])(
    'free text to a contact who %s: 422 whatsapp_window_closed, naming templates, and nothing stored',
    async (_w, to) => {
      const res = await send({ to, message: 'Are you still interested?' });
      expect(res.statusCode).toBe(422);
      expect(res.json()).toEqual({
        error: 'whatsapp_window_closed',
        message: expect.stringMatching(/24 hours.*contentSid/s),
      });
      expect(await rows()).toEqual([]);
    },
  );

  it('the window is per business: a contact who wrote to another business is outside it here', async () => {
    const other = (await t.signIn('owner', otherBusiness)).bearer;
    const res = await send({ to: RECENT, message: 'Hi' }, other);
    expect(res.statusCode).toBe(422);
  });

  it('a template outside the window: 202, the row carrying ContentSid and its variables, from the configured sender', async () => {
    const res = await send({
      to: STALE,
      contentSid: TEMPLATE,
      contentVariables: { '1': '12/1', '2': '3pm' },
    });
    expect(res.statusCode).toBe(202);
    const [row] = await rows();
    expect(row).toMatchObject({
      recipient: STALE,
      kind: 'whatsapp',
      payload: { from: SENDER, contentSid: TEMPLATE, contentVariables: { '1': '12/1', '2': '3pm' } },
    });
    expect(row?.body).toContain(TEMPLATE);
  });

  it.each([
    ['both message and contentSid', { to: RECENT, message: 'x', contentSid: TEMPLATE }, 'body.message'],
    ['neither message nor contentSid', { to: RECENT }, 'body.message'],
    [
      'variables without a template',
      { to: RECENT, message: 'x', contentVariables: { '1': 'a' } },
      'body.contentVariables',
    ],
    ['a contact that is no address', { to: 'whatsapp:12345', message: 'x' }, 'body.to'],
    [
      'a template SID of another kind',
      { to: RECENT, contentSid: 'MG0123456789abcdef0123456789abcdef' },
      'body.contentSid',
    ],
    ['a message over 1600 characters', { to: RECENT, message: 'x'.repeat(1601) }, 'body.message'],
    ['an unknown field', { to: RECENT, message: 'x', mediaUrl: 'https://x' }, 'body'],
  ])('%s: 400 validation_failed naming the field, nothing stored', async (_w, body, path) => {
    const res = await send(body);
    expect(res.statusCode).toBe(400);
    const err = res.json<{ error: string; details: Array<{ path: string }> }>();
    expect(err.error).toBe('validation_failed');
    expect(err.details.map((d) => d.path)).toContain(path);
    expect(await rows()).toEqual([]);
  });

  it('who may send: nobody unsigned (401), not an agent (403); the API key names the business', async () => {
    expect((await send({ to: RECENT, message: 'x' }, { headers: {} })).statusCode).toBe(401);
    const agent = (await t.signIn('agent', DEMO_BUSINESS_ID)).bearer;
    expect((await send({ to: RECENT, message: 'x' }, agent)).statusCode).toBe(403);
    expect((await send({ to: RECENT, message: 'x' }, t.apiKey)).statusCode).toBe(400);
    const res = await send({ to: RECENT, message: 'x' }, t.apiKey, `?businessId=${DEMO_BUSINESS_ID}`);
    expect(res.statusCode).toBe(202);
    expect(await rows()).toHaveLength(1);
  });

  it('the business may be named in the body too (as /whatsapp/call takes it), but not twice differently', async () => {
    const res = await send({ businessId: DEMO_BUSINESS_ID, to: RECENT, message: 'x' }, t.apiKey);
    expect(res.statusCode).toBe(202);
    const twice = await send(
      { businessId: DEMO_BUSINESS_ID, to: RECENT, message: 'x' },
      t.apiKey,
      `?businessId=${otherBusiness}`,
    );
    expect(twice.statusCode).toBe(400);
    expect(await rows()).toHaveLength(1);
  });

  it('an owner naming another business gets 404, as if it did not exist', async () => {
    const res = await send({ to: RECENT, message: 'x' }, owner, `?businessId=${otherBusiness}`);
    expect(res.statusCode).toBe(404);
    const inBody = await send({ businessId: otherBusiness, to: RECENT, message: 'x' }, owner);
    expect(inBody.statusCode).toBe(404);
    expect(await rows()).toEqual([]);
  });
});

describe('POST /whatsapp/send past OUTBOUND_MESSAGES_PER_MINUTE', () => {
  let limited: AccessTestApp;
  let limitedOwner: Credentials;
  let nowMs = NOW.getTime();

  beforeAll(async () => {
    limited = await createAccessTestApp(database.db);
    const conversations = new ConversationsRepo(database.db);
    registerWhatsAppSendApi(limited.server, {
      access: limited.access,
      conversations: {
        lastInboundAt: (businessId, channel, partyKey) =>
          conversations.lastInboundAt({ businessId, channel, partyKey }),
      },
      inbox: new StoredWhatsAppInbox(database.db),
      notifier: new Notifier({ db: database.db, outbox: { wake() {} }, escalations: {} as AlertEscalations }),
      from: SENDER,
      messagesPerMinute: 2,
      rateCounter: new MemoryRateCounter({ now: () => nowMs }),
      now: () => NOW,
    });
    await limited.server.ready();
    limitedOwner = (await limited.signIn('owner', DEMO_BUSINESS_ID)).bearer;
  });
  afterAll(() => limited?.close());

  const sendLimited = (body: object) =>
    limited.server.inject({ method: 'POST', url: WHATSAPP_SEND_PATH, payload: body, ...limitedOwner });

  it('429 too_many_requests with Retry-After, nothing queued; a refused message does not count; a new minute sends again', async () => {
    expect((await sendLimited({ to: STALE, message: 'outside the window' })).statusCode).toBe(422);
    expect((await sendLimited({ to: RECENT, message: 'one' })).statusCode).toBe(202);
    nowMs += 15_000;
    expect((await sendLimited({ to: RECENT, message: 'two' })).statusCode).toBe(202);
    const refused = await sendLimited({ to: RECENT, message: 'three' });
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('45');
    expect(refused.json()).toEqual({ error: 'too_many_requests', message: expect.stringContaining('45 s') });
    expect((await rows()).map((r) => r.body)).toEqual(['one', 'two']);
    nowMs += 45_000;
    expect((await sendLimited({ to: RECENT, message: 'four' })).statusCode).toBe(202);
  });
});
