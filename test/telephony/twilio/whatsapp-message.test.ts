import formbody from '@fastify/formbody';
import { randomBytes } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createStoreTools, RulesBrain, type TurnInput } from '../../../src/agent/index.js';
import {
  ConversationEndedError,
  type ConversationId,
  type ConversationRef,
  type Conversations,
  type OpenConversationInput,
} from '../../../src/conversations/index.js';
import { ConversationEngine } from '../../../src/conversations/conversation-engine.js';
import { Metrics } from '../../../src/http/metrics.js';
import { asCallSid, type BusinessId } from '../../../src/ids.js';
import { AlertEscalations, Notifier } from '../../../src/notify/index.js';
import {
  BusinessesRepo,
  CallsRepo,
  ConversationsRepo,
  DEMO_BUSINESS_ID,
  DEMO_PHONE_NUMBER,
  seedDemoBusiness,
  type Database,
  type StoredConversation,
} from '../../../src/store/index.js';
import { callEvents, calls, conversations, emergencies, outbox } from '../../../src/store/schema/index.js';
import { signTwilioRequest, twilioSignatureVerifier } from '../../../src/telephony/twilio/signature.js';
import { StoredWhatsAppInbox } from '../../../src/telephony/twilio/whatsapp-inbox.js';
import {
  registerWhatsAppMessageRoute,
  TEXT_ONLY_REPLY,
  TURN_FAILED_REPLY,
  WHATSAPP_MESSAGE_PATH,
} from '../../../src/telephony/twilio/whatsapp-message.js';
import { createTestTarget, drivers, silentLogger, type TestTarget } from '../../store/drivers.js';

/**
 * POST /whatsapp/message: a signed WhatsApp message is one turn of the contact's conversation,
 * and the brain's answer leaves as one outbox row of kind 'whatsapp' to the contact, from the
 * address they wrote to. Forged requests store nothing; a replayed MessageSid is answered once.
 * The conversation is mostly a stand-in over the real conversations table with a scripted brain;
 * the last test runs the real engine, the rules brain and its store tools, as the app wires them
 * (without the knowledge base): "my pipe burst" raises an emergency.
 */

const AUTH_TOKEN = 'twilio-auth-token-for-whatsapp-tests';
const PUBLIC_URL = 'https://sb.example.com';
const BUSINESS_ADDRESS = `whatsapp:${DEMO_PHONE_NUMBER}`;
const SANDBOX = 'whatsapp:+14155238886';
const CONTACT = 'whatsapp:+14017122661';

/** Conversations over the real tables; each turn answers with `script(text)`. */
class ScriptedConversations implements Pick<Conversations, 'open' | 'take'> {
  readonly taken: Array<{ id: ConversationId; input: TurnInput }> = [];
  script: (text: string) => string[] | Promise<string[]> = () => ['Thanks for writing.', 'How can we help?'];
  private readonly repo: ConversationsRepo;
  constructor(private readonly db: Database['db']) {
    this.repo = new ConversationsRepo(db);
  }

  async open(input: OpenConversationInput): Promise<ConversationRef> {
    const { conversation, created } = await this.repo.openOrCreate(
      { businessId: input.businessId, channel: input.channel, partyKey: input.partyKey },
      new Date(),
      async (tx) =>
        (
          await new CallsRepo(tx).create({
            callSid: asCallSid(`WA${randomBytes(16).toString('hex')}`),
            businessId: input.businessId,
            channel: input.channel,
            direction: 'inbound',
            status: 'in-progress',
            from: input.from ?? null,
            to: input.to ?? null,
          })
        ).call,
    );
    return ref(conversation, created);
  }

  async take(id: ConversationId, input: TurnInput, opts: { signal: AbortSignal }) {
    this.taken.push({ id, input });
    if (!(await this.repo.touch(id, new Date(), { inbound: true }))) throw new ConversationEndedError(id);
    const replies = await this.script(input.kind === 'speech' ? input.text : '');
    opts.signal.throwIfAborted();
    return { replies, outputs: replies.map((text) => ({ type: 'say' as const, text })) };
  }
}

const ref = (c: StoredConversation, created: boolean): ConversationRef => ({
  id: c.id as ConversationId,
  businessId: c.businessId,
  channel: c.channel as ConversationRef['channel'],
  partyKey: c.partyKey,
  callSid: c.callSid,
  created,
  startedAt: c.createdAt,
  lastInboundAt: c.lastInboundAt ?? undefined,
  endedAt: c.endedAt ?? undefined,
});

const messageSid = () => `SM${randomBytes(16).toString('hex')}`;

function params(over: Record<string, string> = {}): Record<string, string> {
  return {
    MessageSid: messageSid(),
    AccountSid: `AC${'0'.repeat(32)}`,
    From: CONTACT,
    To: BUSINESS_ADDRESS,
    Body: 'Hi, do you fix leaking taps?',
    NumMedia: '0',
    NumSegments: '1',
    ProfileName: 'Jane',
    WaId: '14017122661',
    SmsStatus: 'received',
    ApiVersion: '2010-04-01',
    ...over,
  };
}

describe.each(drivers)('POST /whatsapp/message on $name', (driver) => {
  let target: TestTarget;
  let database: Database;
  let app: FastifyInstance;
  let convs: ScriptedConversations;
  let wakes: number;

  const post = (
    p: Record<string, string>,
    signature: string | undefined = signTwilioRequest(AUTH_TOKEN, PUBLIC_URL + WHATSAPP_MESSAGE_PATH, p),
  ) =>
    app.inject({
      method: 'POST',
      url: WHATSAPP_MESSAGE_PATH,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(signature ? { 'x-twilio-signature': signature } : {}),
      },
      payload: new URLSearchParams(p).toString(),
    });

  const replies = () =>
    database.db
      .select()
      .from(outbox)
      .where(eq(outbox.cause, 'whatsapp-reply'))
      .orderBy(asc(outbox.dedupeKey));
  const conversationRows = () => database.db.select().from(conversations);

  beforeAll(async () => {
    if (driver.skipReason) return;
    target = await createTestTarget(driver.name);
    database = await target.open();
    await seedDemoBusiness(database.db, silentLogger);
  });
  afterAll(async () => {
    await database?.close();
    await target?.cleanup();
  });
  beforeEach(async (ctx) => {
    if (driver.skipReason) return ctx.skip(driver.skipReason);
    await database.db.delete(outbox);
    await database.db.delete(conversations);
    wakes = 0;
    convs = new ScriptedConversations(database.db);
    const notifier = new Notifier({
      db: database.db,
      outbox: { wake: () => void wakes++ },
      escalations: {} as AlertEscalations,
    });
    app = Fastify();
    await app.register(formbody);
    registerWhatsAppMessageRoute(app, {
      findBusinessByNumber: async (n) => (n === DEMO_PHONE_NUMBER ? { id: DEMO_BUSINESS_ID } : undefined),
      conversations: convs,
      inbox: new StoredWhatsAppInbox(database.db),
      replies: notifier,
      verifier: twilioSignatureVerifier(AUTH_TOKEN),
      publicUrl: PUBLIC_URL,
      metrics: new Metrics(),
      log: silentLogger,
      turnTimeoutMs: 1000,
    });
    await app.ready();
    return async () => {
      await app.close();
    };
  });

  it('answers a signed message with an empty TwiML response and its reply as one WhatsApp outbox row', async () => {
    const p = params();
    const res = await post(p);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/xml');
    expect(res.body).toMatch(/<Response\/>$/);

    expect(convs.taken).toEqual([
      { id: expect.any(String), input: { kind: 'speech', text: 'Hi, do you fix leaking taps?' } },
    ]);
    const [conv] = await conversationRows();
    expect(conv).toMatchObject({ channel: 'whatsapp', partyKey: CONTACT, businessId: DEMO_BUSINESS_ID });
    expect(conv!.lastInboundAt).toBeInstanceOf(Date);
    const callSid = (await new ConversationsRepo(database.db).get(conv!.id))!.callSid;

    const rows = await replies();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      businessId: DEMO_BUSINESS_ID,
      kind: 'whatsapp',
      status: 'pending',
      recipient: CONTACT,
      body: 'Thanks for writing. How can we help?',
      payload: { from: BUSINESS_ADDRESS },
      cause: 'whatsapp-reply',
      causeId: p.MessageSid,
      callSid,
      dedupeKey: `whatsapp-reply:${p.MessageSid}:0`,
    });
    expect(wakes).toBe(1);
    // The MessageSid is kept on the conversation's call.
    const events = await database.db.select().from(callEvents).where(eq(callEvents.type, 'whatsapp.message'));
    expect(events.map((e) => e.payload)).toContainEqual({ messageSid: p.MessageSid });
  });

  it('a second message from the same contact is the next turn of the same conversation', async () => {
    await post(params({ Body: 'Hello' }));
    await post(params({ Body: 'Tomorrow at 3?' }));
    expect(convs.taken.map((t) => t.id)).toEqual([convs.taken[0]!.id, convs.taken[0]!.id]);
    expect(await conversationRows()).toHaveLength(1);
    expect(await replies()).toHaveLength(2);
  });

  it.each([
    ['unsigned', undefined],
    ['signed with another token', 'not-the-signature'],
  ])('%s: 403 in the error shape, and nothing is stored or answered', async (_what, signature) => {
    const p = params();
    const res = await post(p, signature ?? '');
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error: 'forbidden', message: expect.stringMatching(/signature/) });
    const forged = await post(p, signTwilioRequest('another-token', PUBLIC_URL + WHATSAPP_MESSAGE_PATH, p));
    expect(forged.statusCode).toBe(403);
    expect(convs.taken).toEqual([]);
    expect(await conversationRows()).toEqual([]);
    expect(await replies()).toEqual([]);
  });

  it('a replayed MessageSid takes no second turn and sends no second reply, even when both arrive at once', async () => {
    const p = params();
    expect((await post(p)).statusCode).toBe(200);
    const again = await post(p);
    expect(again.statusCode).toBe(200);
    expect(again.body).toMatch(/<Response\/>$/);
    const q = params();
    const both = await Promise.all([post(q), post(q)]);
    expect(both.map((r) => r.statusCode)).toEqual([200, 200]);
    expect(convs.taken).toHaveLength(2);
    expect((await replies()).map((r) => r.causeId)).toEqual(
      expect.arrayContaining([p.MessageSid, q.MessageSid]),
    );
    expect(await replies()).toHaveLength(2);
  });

  it('media without text gets a polite reply that only text is read, and no turn', async () => {
    const p = params({
      Body: '',
      NumMedia: '1',
      MediaUrl0: 'https://api.twilio.com/media/ME1',
      MediaContentType0: 'image/jpeg',
    });
    expect((await post(p)).statusCode).toBe(200);
    expect(convs.taken).toEqual([]);
    expect((await replies()).map((r) => r.body)).toEqual([TEXT_ONLY_REPLY]);
  });

  it('a tapped quick-reply button is read as its text', async () => {
    await post(params({ Body: '', ButtonText: 'Book a visit', ButtonPayload: 'book' }));
    expect(convs.taken[0]?.input).toEqual({ kind: 'speech', text: 'Book a visit' });
  });

  it('a body over 1600 characters reaches the brain cut to 1600', async () => {
    await post(params({ Body: 'word '.repeat(500) }));
    const input = convs.taken[0]!.input as { text: string };
    expect(input.text).toHaveLength(1600);
  });

  it('a reply over 1600 characters leaves as several messages, each with its own dedupe key', async () => {
    convs.script = () => ['All good. '.repeat(250).trim()];
    const p = params();
    await post(p);
    const rows = await replies();
    expect(rows.map((r) => r.dedupeKey)).toEqual([
      `whatsapp-reply:${p.MessageSid}:0`,
      `whatsapp-reply:${p.MessageSid}:1`,
    ]);
    expect(rows.every((r) => r.body.length <= 1600)).toBe(true);
    expect(rows.map((r) => r.body).join(' ')).toBe('All good. '.repeat(250).trim());
  });

  it('a turn that fails (brain error or timeout) is answered with an apology, not silence', async () => {
    convs.script = () => {
      throw new Error('the LLM is down');
    };
    await post(params());
    convs.script = () => new Promise(() => undefined); // never answers: the turn's deadline ends it
    await post(params());
    expect((await replies()).map((r) => r.body)).toEqual([TURN_FAILED_REPLY, TURN_FAILED_REPLY]);
  });

  it('a message to the configured sender goes to its business; to a number nobody owns, only the empty response', async () => {
    const unowned = await post(params({ To: SANDBOX }));
    expect(unowned.statusCode).toBe(200);
    expect(unowned.body).toMatch(/<Response\/>$/);
    expect(await conversationRows()).toEqual([]);
    expect(await replies()).toEqual([]);

    await app.close();
    app = Fastify();
    await app.register(formbody);
    registerWhatsAppMessageRoute(app, {
      findBusinessByNumber: async () => undefined,
      sender: { address: SANDBOX, businessId: DEMO_BUSINESS_ID as BusinessId },
      conversations: convs,
      inbox: new StoredWhatsAppInbox(database.db),
      replies: new Notifier({ db: database.db, outbox: { wake() {} }, escalations: {} as AlertEscalations }),
      verifier: twilioSignatureVerifier(AUTH_TOKEN),
      publicUrl: PUBLIC_URL,
      metrics: new Metrics(),
      log: silentLogger,
    });
    await post(params({ To: SANDBOX }));
    const rows = await replies();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      businessId: DEMO_BUSINESS_ID,
      recipient: CONTACT,
      payload: { from: SANDBOX },
    });
  });

  it('a sender that is not a WhatsApp address gets 400 and nothing is stored', async () => {
    const res = await post(params({ From: '+14017122661' }));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'validation_failed', message: expect.stringMatching(/From/) });
    expect(await conversationRows()).toEqual([]);
  });

  it('on the conversation engine, "my pipe burst" raises an emergency on channel whatsapp, tells the owner, and the reply leaves through the outbox', async () => {
    const db = database.db;
    await db.delete(emergencies);
    const wake = { wake() {} };
    const notifier = new Notifier({
      db,
      outbox: wake,
      escalations: new AlertEscalations({ db, outbox: wake }),
    });
    const engine = new ConversationEngine({
      db,
      calls: new CallsRepo(db),
      businesses: new BusinessesRepo(db),
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
    await app.close();
    app = Fastify();
    await app.register(formbody);
    registerWhatsAppMessageRoute(app, {
      findBusinessByNumber: async (n) => (n === DEMO_PHONE_NUMBER ? { id: DEMO_BUSINESS_ID } : undefined),
      conversations: engine,
      inbox: new StoredWhatsAppInbox(db),
      replies: notifier,
      verifier: twilioSignatureVerifier(AUTH_TOKEN),
      publicUrl: PUBLIC_URL,
      metrics: new Metrics(),
      log: silentLogger,
    });

    const m = params({ Body: 'Help, my pipe burst and water is everywhere' });
    const res = await post(m);
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/<Response\/>$/);

    const [conv] = await conversationRows();
    const callSid = (await new ConversationsRepo(db).get(conv!.id))!.callSid;
    const [call] = await db.select().from(calls).where(eq(calls.callSid, callSid));
    expect(call).toMatchObject({ businessId: DEMO_BUSINESS_ID, channel: 'whatsapp', fromNumber: CONTACT });
    const raised = await db.select().from(emergencies);
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ callSid: call!.callSid, channel: 'whatsapp' });

    const rows = await db.select().from(outbox);
    // The demo's emergency contacts: the first alert call of the escalation, SMS and email.
    const alerts = rows.filter((r) => r.cause === 'emergency');
    expect(alerts.map((r) => r.kind)).toEqual(expect.arrayContaining(['voice-call', 'sms', 'email']));
    const reply = await replies();
    expect(reply).toHaveLength(1);
    expect(reply[0]).toMatchObject({
      kind: 'whatsapp',
      recipient: CONTACT,
      callSid: call!.callSid,
      payload: { from: BUSINESS_ADDRESS },
    });
    // The brain's sentences joined into one message: the safety line first.
    expect(reply[0]!.body).toMatch(/^I'm sorry you're dealing with this\. .*on-call team.*\?$/);

    // Twilio posts it again: no second turn, no second emergency, no second reply.
    await post(m);
    expect(await db.select().from(emergencies)).toHaveLength(1);
    expect(await replies()).toHaveLength(1);
    // The contact's 24-hour window is open.
    expect(await engine.lastInboundAt(DEMO_BUSINESS_ID, 'whatsapp', CONTACT)).toBeInstanceOf(Date);
    await engine.close();
  });
});
