import formbody from '@fastify/formbody';
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStoreTools, RulesBrain } from '../../../src/agent/index.js';
import { ConversationEngine } from '../../../src/conversations/conversation-engine.js';
import { Metrics } from '../../../src/http/metrics.js';
import { AlertEscalations, Notifier } from '../../../src/notify/index.js';
import {
  BusinessesRepo,
  CallsRepo,
  DEMO_BUSINESS_ID,
  DEMO_PHONE_NUMBER,
  seedDemoBusiness,
  type Database,
} from '../../../src/store/index.js';
import { calls, emergencies, outbox } from '../../../src/store/schema/index.js';
import { signTwilioRequest, twilioSignatureVerifier } from '../../../src/telephony/twilio/signature.js';
import { StoredWhatsAppInbox } from '../../../src/telephony/twilio/whatsapp-inbox.js';
import {
  registerWhatsAppMessageRoute,
  WHATSAPP_MESSAGE_PATH,
} from '../../../src/telephony/twilio/whatsapp-message.js';
import { createTestTarget, silentLogger, type TestTarget } from '../../store/drivers.js';

/**
 * A WhatsApp message on the real conversation engine, the rules brain and its store tools (as the
 * app wires them, without the knowledge base): "my pipe burst" to the demo plumbing business
 * raises an emergency on channel whatsapp, with its owner notifications, and the brain's answer
 * leaves through the outbox as one WhatsApp message.
 */

const AUTH_TOKEN = 'twilio-auth-token-for-whatsapp-tests';
const PUBLIC_URL = 'https://sb.example.com';
const CONTACT = 'whatsapp:+14017122661';

let target: TestTarget;
let database: Database;
let app: FastifyInstance;
let engine: ConversationEngine;

const post = (p: Record<string, string>) =>
  app.inject({
    method: 'POST',
    url: WHATSAPP_MESSAGE_PATH,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signTwilioRequest(AUTH_TOKEN, PUBLIC_URL + WHATSAPP_MESSAGE_PATH, p),
    },
    payload: new URLSearchParams(p).toString(),
  });

const message = (body: string, sid = `SM${randomBytes(16).toString('hex')}`) => ({
  MessageSid: sid,
  AccountSid: `AC${'0'.repeat(32)}`,
  From: CONTACT,
  To: `whatsapp:${DEMO_PHONE_NUMBER}`,
  Body: body,
  NumMedia: '0',
  ProfileName: 'Jane',
  WaId: CONTACT.slice('whatsapp:+'.length),
});

beforeAll(async () => {
  target = await createTestTarget('pglite');
  database = await target.open();
  const db = database.db;
  await seedDemoBusiness(db, silentLogger);
  const wake = { wake() {} };
  const notifier = new Notifier({
    db,
    outbox: wake,
    escalations: new AlertEscalations({ db, outbox: wake }),
  });
  const businesses = new BusinessesRepo(db);
  engine = new ConversationEngine({
    db,
    calls: new CallsRepo(db),
    businesses,
    brainFor: (req) =>
      new RulesBrain({
        tools: createStoreTools(
          { db, notifier, searchKnowledge: async () => [], logger: silentLogger },
          { business: req.business, callSid: req.callSid, channel: req.channel, callerId: req.callerId },
        ),
        lifetime: req.lifetime,
        logger: silentLogger,
      }),
    log: silentLogger,
  });
  app = Fastify();
  await app.register(formbody);
  registerWhatsAppMessageRoute(app, {
    findBusinessByNumber: async (n) =>
      n === DEMO_PHONE_NUMBER ? businesses.getById(DEMO_BUSINESS_ID) : undefined,
    conversations: engine,
    inbox: new StoredWhatsAppInbox(db),
    replies: notifier,
    verifier: twilioSignatureVerifier(AUTH_TOKEN),
    publicUrl: PUBLIC_URL,
    metrics: new Metrics(),
    log: silentLogger,
  });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await database?.close();
  await target?.cleanup();
});

describe('WhatsApp on the conversation engine', () => {
  it('"my pipe burst" raises an emergency on channel whatsapp, tells the owner, and the reply leaves through the outbox', async () => {
    const m = message('Help, my pipe burst and water is everywhere');
    const res = await post(m);
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/<Response\/>$/);

    const [call] = await database.db.select().from(calls).where(eq(calls.channel, 'whatsapp'));
    expect(call).toMatchObject({ businessId: DEMO_BUSINESS_ID, fromNumber: CONTACT });
    const raised = await database.db.select().from(emergencies);
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ callSid: call!.callSid, channel: 'whatsapp' });

    const rows = await database.db.select().from(outbox);
    const alerts = rows.filter((r) => r.cause === 'emergency');
    // The demo's emergency contacts: the first alert call of the escalation, SMS and email.
    expect(alerts.map((r) => r.kind)).toEqual(expect.arrayContaining(['voice-call', 'sms', 'email']));
    const reply = rows.filter((r) => r.cause === 'whatsapp-reply');
    expect(reply).toHaveLength(1);
    expect(reply[0]).toMatchObject({
      kind: 'whatsapp',
      recipient: CONTACT,
      callSid: call!.callSid,
      payload: { from: `whatsapp:${DEMO_PHONE_NUMBER}` },
    });
    // The brain's sentences joined into one message: the safety line first.
    expect(reply[0]!.body).toMatch(/^I'm sorry you're dealing with this\. .*on-call team.*\?$/);

    // Twilio posts it again: no second turn, no second emergency, no second reply.
    await post(m);
    expect(await database.db.select().from(emergencies)).toHaveLength(1);
    expect(
      (await database.db.select().from(outbox)).filter((r) => r.cause === 'whatsapp-reply'),
    ).toHaveLength(1);
    // The contact's window is open.
    expect(await engine.lastInboundAt(DEMO_BUSINESS_ID, 'whatsapp', CONTACT)).toBeInstanceOf(Date);
  });
});
