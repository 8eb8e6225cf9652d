import { readdirSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mulawToPcm, writeWav } from '../../../src/audio/index.js';
import { createFliteTts } from '../../../src/providers/tts/index.js';
import { callerVoice } from '../../../src/sim/caller-audio.js';
import {
  CANNOT_TAKE_LINE,
  MESSAGE_KEPT_LINE,
  RETRY_LINE,
} from '../../../src/telephony/twilio/record-reply-twiml.js';
import {
  BUSINESS_NUMBER,
  business,
  callParams,
  FakeStt,
  PUBLIC_URL,
  startHarness,
  verbsOf,
  type Harness,
  type Verb,
} from './record-reply-harness.js';

/**
 * Record-and-reply (issue 13 item 6, seed 001): the call runs on <Record action="/process-voice">;
 * each recording is downloaded from Twilio's host with the account's credentials, transcribed,
 * answered by the conversation, and the caller is recorded again. Temp files never stay behind.
 */

let h: Harness;
/** "What are your hours on Saturday?" in the simulator's flite caller voice, as Twilio records it. */
let callerWav: Uint8Array;

beforeAll(async () => {
  const speak = await callerVoice('rms', (voice) => createFliteTts({ voice }));
  const pcm = mulawToPcm(await speak({ say: 'What are your hours on Saturday?' }));
  callerWav = writeWav({ sampleRate: 8000, channels: [pcm] });
});
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => h.close());

const tmpFiles = () => readdirSync(h.tmpDir);

/** A <Record> posting to /process-voice as PROTOCOLS.md 3.4 names its attributes, then the silent-caller redirect. */
function expectRecordAgain(verbs: Verb[], failed?: number) {
  const record = verbs.find((v) => v.name === 'Record');
  expect(record?.attrs).toEqual({
    action: `${PUBLIC_URL}/process-voice${failed ? `?failed=${failed}` : ''}`,
    method: 'POST',
    maxLength: '30',
    timeout: '3',
    finishOnKey: '1234567890*#',
    playBeep: 'false',
    trim: 'trim-silence',
  });
  const after = verbs.slice(verbs.indexOf(record!) + 1);
  expect(after.map((v) => [v.name, v.text])).toEqual([['Redirect', `${PUBLIC_URL}/process-voice?silent=1`]]);
}

describe('the first answer of a record-and-reply call', () => {
  it('a business with media streams off hears the greeting turn, then is recorded (no stream)', async () => {
    h.businesses.set(BUSINESS_NUMBER, business({ settings: { voice: { mediaStreams: false } } }));
    const callSid = `CA${'1'.repeat(32)}`;
    const verbs = await verbsOf(
      await h.post('/twilio/voice', callParams(callSid, { CallStatus: 'ringing' })),
    );
    expect(verbs.map((v) => v.name)).toEqual(['Say', 'Record', 'Redirect']);
    expect(verbs[0]?.text).toBe('Acme Plumbing, how can I help?');
    expectRecordAgain(verbs);
    expect(h.conversations.opened[0]).toMatchObject({ channel: 'phone', partyKey: callSid, callSid });
    expect(h.conversations.turns).toEqual([{ kind: 'call-started' }]);
  });

  it('a node with no recognizer answers on record-and-reply too, never with a stream nobody hears', async () => {
    h.recognizers.length = 0;
    const verbs = await verbsOf(await h.post('/twilio/voice', callParams(`CA${'2'.repeat(32)}`)));
    expect(verbs.map((v) => v.name)).toEqual(['Say', 'Record', 'Redirect']);
  });

  it('a business with streams on still gets its media stream', async () => {
    const verbs = await verbsOf(await h.post('/twilio/voice', callParams(`CA${'3'.repeat(32)}`)));
    expect(verbs[0]?.name).toBe('Connect');
    expect(h.conversations.opened).toEqual([]);
  });
});

describe('POST /process-voice', () => {
  it('downloads the recording with Basic auth, transcribes it, says the reply and records again; no temp file stays', async () => {
    const callSid = h.storeCall();
    const url = h.recordings.add(callerWav);
    const res = await h.post(
      '/process-voice',
      callParams(callSid, { RecordingUrl: url, RecordingDuration: '2', Digits: '#' }),
    );
    const verbs = await verbsOf(res);
    expect(verbs.map((v) => v.name)).toEqual(['Say', 'Record', 'Redirect']);
    expect(verbs[0]?.text).toBe('You said: what are your hours. We are open nine to five.');
    expectRecordAgain(verbs);
    // Fetched once, from Twilio's host, with the account SID and auth token.
    expect(h.recordings.requests).toHaveLength(1);
    expect(h.recordings.requests[0]?.authorization).toMatch(/^Basic /);
    // The recognizer got the whole recording at its own rate (8 kHz -> 16 kHz).
    const heard = (h.recognizers[0] as FakeStt).received[0]!;
    const seconds = (callerWav.length - 44) / 2 / 8000;
    expect(heard.length / 16000).toBeCloseTo(seconds, 1);
    expect(h.conversations.turns).toEqual([{ kind: 'speech', text: 'what are your hours' }]);
    expect(tmpFiles()).toEqual([]);
  });

  it('a RecordingUrl on any other host is refused with 400 and nothing is fetched', async () => {
    const callSid = h.storeCall();
    const port = new URL(h.recordings.baseUrl).port;
    for (const bad of [
      'http://169.254.169.254/latest/meta-data/',
      `http://localhost:${port}/2010-04-01/Accounts/x/Recordings/RE1`,
      `http://127.0.0.1:${Number(port) + 1}/2010-04-01/Accounts/x/Recordings/RE1`,
      `http://127.0.0.1:${port}@evil.example.com/x`,
      `http://user:pass@127.0.0.1:${port}/x`,
      'not a url',
    ]) {
      const res = await h.post('/process-voice', callParams(callSid, { RecordingUrl: bad }));
      expect(res.status, bad).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'validation_failed' });
    }
    expect(h.recordings.requests).toEqual([]);
    expect(h.conversations.turns).toEqual([]);
  });

  it('a failed download asks the caller again (never silence), then passes the recording to the owner; temp dir empty each time', async () => {
    const callSid = h.storeCall();
    const missing = `${h.recordings.baseUrl}/2010-04-01/Accounts/x/Recordings/RE404`;
    const first = await verbsOf(
      await h.post('/process-voice', callParams(callSid, { RecordingUrl: missing })),
    );
    expect(first[0]).toMatchObject({ name: 'Say', text: RETRY_LINE });
    expectRecordAgain(first, 1);
    expect(tmpFiles()).toEqual([]);
    expect(h.conversations.turns).toEqual([]);

    const second = await verbsOf(
      await h.post('/process-voice?failed=1', callParams(callSid, { RecordingUrl: missing })),
    );
    expect(second.map((v) => [v.name, v.text])).toEqual([
      ['Say', MESSAGE_KEPT_LINE],
      ['Hangup', ''],
    ]);
    expect(h.leads).toHaveLength(1);
    expect(h.leads[0]?.fields.need).toContain(missing);
    expect(h.leads[0]?.fields.phone).toBe('+15555550100');
    expect(tmpFiles()).toEqual([]);
  });

  it('a recognizer that fails is a retry prompt too, and the next one in the chain is tried first', async () => {
    const callSid = h.storeCall();
    h.recognizers.splice(0, 1, new FakeStt('x', 16000, true));
    const url = h.recordings.add(callerWav);
    let verbs = await verbsOf(await h.post('/process-voice', callParams(callSid, { RecordingUrl: url })));
    expect(verbs[0]).toMatchObject({ name: 'Say', text: RETRY_LINE });
    h.recognizers.push(new FakeStt('i need a plumber', 8000));
    verbs = await verbsOf(await h.post('/process-voice', callParams(callSid, { RecordingUrl: url })));
    expect(verbs[0]?.text).toBe('You said: i need a plumber. We are open nine to five.');
    expect(tmpFiles()).toEqual([]);
  });

  it('with no recognizer at all, the recording goes to the owner and the caller is told so', async () => {
    const callSid = h.storeCall();
    h.recognizers.length = 0;
    const url = h.recordings.add(callerWav);
    const verbs = await verbsOf(await h.post('/process-voice', callParams(callSid, { RecordingUrl: url })));
    expect(verbs.map((v) => [v.name, v.text])).toEqual([
      ['Say', MESSAGE_KEPT_LINE],
      ['Hangup', ''],
    ]);
    expect(h.leads[0]?.fields.need).toContain(url);
    expect(h.conversations.ended).toEqual(['message-kept']);
    // Nothing to hear it with: it is not downloaded either.
    expect(h.recordings.requests).toEqual([]);
  });

  it('a recording with nothing recognisable is an unclear turn; a caller who said nothing is a no-input turn', async () => {
    const callSid = h.storeCall();
    const silence = writeWav({ sampleRate: 8000, channels: [new Int16Array(8000)] });
    const url = h.recordings.add(silence);
    const unclear = await verbsOf(await h.post('/process-voice', callParams(callSid, { RecordingUrl: url })));
    expect(unclear.map((v) => v.name)).toEqual(['Say', 'Record', 'Redirect']);
    const silent = await verbsOf(await h.post('/process-voice?silent=1', callParams(callSid)));
    expect(silent.map((v) => v.name)).toEqual(['Say', 'Record', 'Redirect']);
    expect(h.conversations.turns).toEqual([{ kind: 'unclear' }, { kind: 'no-input' }]);
    expect(tmpFiles()).toEqual([]);
  });

  it('the brain ending the call says goodbye and hangs up; asking for a person dials the transfer number', async () => {
    const callSid = h.storeCall();
    const url = h.recordings.add(callerWav);
    h.conversations.answer = () => ({
      replies: ['Thanks for calling. Goodbye.'],
      outputs: [],
      ended: 'caller-goodbye',
    });
    const ended = await verbsOf(await h.post('/process-voice', callParams(callSid, { RecordingUrl: url })));
    expect(ended.map((v) => [v.name, v.text])).toEqual([
      ['Say', 'Thanks for calling. Goodbye.'],
      ['Hangup', ''],
    ]);
    h.conversations.answer = () => ({
      replies: ['Let me put you through.'],
      outputs: [],
      transfer: { type: 'transfer', summary: 'wants a person', reason: 'caller-request' },
    });
    const moved = await verbsOf(await h.post('/process-voice', callParams(callSid, { RecordingUrl: url })));
    expect(moved.map((v) => v.name)).toEqual(['Say', 'Dial']);
    expect(moved[1]).toMatchObject({ text: '+15005550101', attrs: { callerId: BUSINESS_NUMBER } });
  });

  it('a caller who hung up mid-recording is still heard (the turn is taken), and the answer is a hang-up', async () => {
    const callSid = h.storeCall();
    const url = h.recordings.add(callerWav);
    const verbs = await verbsOf(
      await h.post('/process-voice', callParams(callSid, { RecordingUrl: url, Digits: 'hangup' })),
    );
    expect(verbs.map((v) => v.name)).toEqual(['Hangup']);
    expect(h.conversations.turns).toEqual([{ kind: 'speech', text: 'what are your hours' }]);
  });

  it('a key that ended the recording is a keypad turn (e.g. 1 for an emergency), not a recording to fetch', async () => {
    const callSid = h.storeCall();
    const url = h.recordings.add(callerWav);
    const verbs = await verbsOf(
      await h.post('/process-voice', callParams(callSid, { RecordingUrl: url, Digits: '1' })),
    );
    expect(verbs.map((v) => v.name)).toEqual(['Say', 'Record', 'Redirect']);
    expect(h.conversations.turns).toEqual([{ kind: 'dtmf', digits: '1' }]);
    expect(h.recordings.requests).toEqual([]);
  });

  it('an unsigned or forged request gets 403 and nothing is fetched', async () => {
    const callSid = h.storeCall();
    const url = h.recordings.add(callerWav);
    const res = await h.post('/process-voice', callParams(callSid, { RecordingUrl: url }), { signed: false });
    expect(res.status).toBe(403);
    expect(h.recordings.requests).toEqual([]);
  });

  it('a store that fails is a retry prompt, not an error page', async () => {
    const callSid = h.storeCall();
    h.calls.get = () => {
      throw new Error('database unavailable');
    };
    const verbs = await verbsOf(await h.post('/process-voice?silent=1', callParams(callSid)));
    expect(verbs[0]).toMatchObject({ name: 'Say', text: RETRY_LINE });
    expectRecordAgain(verbs);
  });

  it('an unknown call hears an apology and a hang-up', async () => {
    const verbs = await verbsOf(await h.post('/process-voice?silent=1', callParams(`CA${'9'.repeat(32)}`)));
    expect(verbs.map((v) => [v.name, v.text])).toEqual([
      ['Say', CANNOT_TAKE_LINE],
      ['Hangup', ''],
    ]);
  });
});

afterAll(() => undefined);
