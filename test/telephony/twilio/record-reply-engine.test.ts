import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { createStoreTools, RulesBrain, type Brain } from '../../../src/agent/index.js';
import { voiceWebhookPorts } from '../../../src/app/call-records.js';
import { writeWav } from '../../../src/audio/index.js';
import { ConversationEngine, type ConversationBrainRequest } from '../../../src/conversations/index.js';
import { AlertEscalations, Notifier, OutboxDispatcher } from '../../../src/notify/index.js';
import {
  BusinessesRepo,
  CallsRepo,
  DEMO_BUSINESS_ID,
  DEMO_PHONE_NUMBER,
  seedDemoBusiness,
  type Db,
} from '../../../src/store/index.js';
import { allKinds, ScriptedChannel } from '../../notify/support/notify-fixtures.js';
import { silentLogger, useDatabase } from '../../store/drivers.js';
import { callParams, FakeStt, startHarness, verbsOf, type Harness } from './record-reply-harness.js';

/**
 * A record-and-reply call end to end on the real conversation engine (the rules brain acting
 * through the store tools, PGlite): the voice webhook greets and records, each recording becomes
 * a turn on the call's own row, and the reply is said before the next <Record>.
 */
describe('record-and-reply on the conversation engine', () => {
  const store = useDatabase({ name: 'pglite' });
  let db: Db;
  let h: Harness;
  let calls: CallsRepo;
  let hours: Uint8Array;

  beforeAll(async () => {
    db = store.database.db;
    await seedDemoBusiness(db, silentLogger);
    const businesses = new BusinessesRepo(db);
    const demo = (await businesses.getById(DEMO_BUSINESS_ID))!;
    await businesses.update(demo.id, { settings: { ...demo.settings, voice: { mediaStreams: false } } });
    calls = new CallsRepo(db);
    const dispatcher = new OutboxDispatcher({
      db,
      channels: allKinds(new ScriptedChannel()),
      pollIntervalMs: 60_000,
    });
    const notifier = new Notifier({ db, outbox: dispatcher, escalations: new AlertEscalations({ db }) });
    const brainFor = (req: ConversationBrainRequest): Brain =>
      new RulesBrain({
        tools: createStoreTools(
          { db, notifier, searchKnowledge: async () => [] },
          { business: req.business, callSid: req.callSid, channel: req.channel, callerId: req.callerId },
        ),
        lifetime: req.lifetime,
      });
    const conversations = new ConversationEngine({ db, calls, businesses, brainFor, log: silentLogger });
    h = await startHarness({
      real: {
        ports: voiceWebhookPorts(calls, businesses),
        conversations,
        getCall: (sid) => calls.get(sid),
        getBusiness: (id) => businesses.getById(id),
      },
    });
    h.recognizers.splice(0, h.recognizers.length, new FakeStt('what are your hours on saturday'));
    // The caller's voice is record-reply.test.ts's concern; here 2 s of a loud tone the fake hears.
    const tone = Int16Array.from({ length: 16000 }, (_, i) =>
      Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / 8000)),
    );
    hours = writeWav({ sampleRate: 8000, channels: [tone] });
  });
  afterAll(async () => h?.close());

  it('greets, records, answers the recording from the business profile and records again; the turns are on the call', async () => {
    const callSid = `CA${'c'.repeat(32)}`;
    const params = callParams(callSid, { To: DEMO_PHONE_NUMBER });
    const first = await verbsOf(await h.post('/twilio/voice', { ...params, CallStatus: 'ringing' }));
    expect(first.map((v) => v.name)).toEqual(['Say', 'Record', 'Redirect']);
    expect(first[0]?.text).toMatch(/Acme Plumbing/);

    const url = h.recordings.add(hours);
    const second = await verbsOf(
      await h.post('/process-voice', { ...params, RecordingUrl: url, RecordingDuration: '2' }),
    );
    expect(second.map((v) => v.name)).toEqual(['Say', 'Record', 'Redirect']);
    // The rules brain answers an hours question from the demo profile's hours.
    expect(second[0]?.text).toMatch(/saturday|9|nine/i);

    const row = await calls.get(callSid as never);
    expect(row?.channel).toBe('phone');
    const turns = row!.turns.map((t) => [t.speaker, t.text]);
    expect(turns[0]).toEqual(['agent', first[0]?.text]);
    expect(turns).toContainEqual(['caller', 'what are your hours on saturday']);
    expect(turns.at(-1)).toEqual(['agent', second[0]?.text]);
    expect(readdirSync(h.tmpDir)).toEqual([]);
  });
});
