import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DROPPED_LINE } from '../../../src/telephony/twilio/record-reply-twiml.js';
import { callParams, PUBLIC_URL, startHarness, verbsOf, type Harness } from './record-reply-harness.js';

/**
 * The <Redirect> after <Connect><Stream>: Twilio runs it when the stream ends and the call goes
 * on. A call the session ended on purpose hangs up; a stream that never started or dropped
 * without an end hands the caller to record-and-reply, so nobody is left talking to nobody.
 */

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ endWaitMs: 400 });
});
afterEach(async () => h.close());

const ended = (callSid: string) => h.post('/twilio/stream-ended', callParams(callSid));
const started = new Date();

describe('the stream answer', () => {
  it('is <Connect><Stream> followed by the redirect to /twilio/stream-ended', async () => {
    const verbs = await verbsOf(await h.post('/twilio/voice', callParams(`CA${'4'.repeat(32)}`)));
    expect(verbs.map((v) => v.name)).toEqual(['Connect', 'Redirect']);
    expect(verbs[1]).toMatchObject({ attrs: { method: 'POST' }, text: `${PUBLIC_URL}/twilio/stream-ended` });
  });

  it('without record-and-reply wired, nothing follows the stream (the call ends with it)', async () => {
    await h.close();
    h = await startHarness({ recordReply: false });
    const verbs = await verbsOf(await h.post('/twilio/voice', callParams(`CA${'5'.repeat(32)}`)));
    expect(verbs.map((v) => v.name)).toEqual(['Connect']);
    expect((await h.post('/twilio/stream-ended', callParams(`CA${'5'.repeat(32)}`))).status).toBe(404);
  });
});

describe('POST /twilio/stream-ended', () => {
  it('the agent hung up (its decision is on the call): hang up', async () => {
    const callSid = h.storeCall({
      streamClaimedAt: started,
      events: [{ type: 'agent-hangup', payload: {} }],
    });
    expect((await verbsOf(await ended(callSid))).map((v) => v.name)).toEqual(['Hangup']);
    expect(h.conversations.opened).toEqual([]);
  });

  it.each(['agent-hung-up', 'server-shutdown', 'transferred', 'caller-hung-up'])(
    'an end written with outcome %s: hang up',
    async (outcome) => {
      const callSid = h.storeCall({
        streamClaimedAt: started,
        endReason: 'socket closed',
        summary: { outcome },
      });
      expect((await verbsOf(await ended(callSid))).map((v) => v.name)).toEqual(['Hangup']);
    },
  );

  it('an end still being written when Twilio asks is waited for', async () => {
    const callSid = h.storeCall({ streamClaimedAt: started });
    setTimeout(() => {
      const c = h.calls.get(callSid)!;
      h.calls.set(callSid, { ...c, endReason: 'socket closed', summary: { outcome: 'agent-hung-up' } });
    }, 100);
    expect((await verbsOf(await ended(callSid))).map((v) => v.name)).toEqual(['Hangup']);
  });

  it('a stream that never started: record-and-reply takes the call, with no second greeting', async () => {
    const callSid = h.storeCall();
    const verbs = await verbsOf(await ended(callSid));
    expect(verbs.map((v) => [v.name, v.text])).toEqual([
      ['Say', DROPPED_LINE],
      ['Record', ''],
      ['Redirect', `${PUBLIC_URL}/process-voice?silent=1`],
    ]);
    expect(verbs[1]?.attrs).toMatchObject({ action: `${PUBLIC_URL}/process-voice`, maxLength: '30' });
    expect(h.conversations.opened[0]).toMatchObject({ channel: 'phone', partyKey: callSid, callSid });
    expect(h.conversations.turns).toEqual([]);
  });

  it('a stream that dropped (its end says so) or whose node died (no end at all): record-and-reply', async () => {
    const dropped = h.storeCall({
      streamClaimedAt: started,
      endReason: 'socket closed',
      summary: { outcome: 'dropped' },
    });
    expect((await verbsOf(await ended(dropped)))[0]).toMatchObject({ name: 'Say', text: DROPPED_LINE });
    const crashed = h.storeCall({ streamClaimedAt: started });
    expect((await verbsOf(await ended(crashed))).map((v) => v.name)).toEqual(['Say', 'Record', 'Redirect']);
  });

  it('a store that fails: record-and-reply, never a dead line', async () => {
    const callSid = h.storeCall({ streamClaimedAt: started });
    h.calls.get = () => {
      throw new Error('database unavailable');
    };
    const verbs = await verbsOf(await ended(callSid));
    expect(verbs.map((v) => [v.name, v.text])).toEqual([
      ['Say', DROPPED_LINE],
      ['Record', ''],
      ['Redirect', `${PUBLIC_URL}/process-voice?silent=1`],
    ]);
  });

  it('is signed like every Twilio route', async () => {
    const callSid = h.storeCall();
    expect((await h.post('/twilio/stream-ended', callParams(callSid), { signed: false })).status).toBe(403);
  });
});
