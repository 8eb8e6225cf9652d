import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LEAVE_A_MESSAGE } from '../../../src/telephony/twilio/message-taking-twiml.js';
import { NOBODY_ANSWERED_LINE, NOT_AN_OPTION_LINE } from '../../../src/telephony/twilio/routing.js';
import {
  BUSINESS_NUMBER,
  business,
  callParams,
  PUBLIC_URL,
  SALES_SUPPORT,
  startHarness,
  verbsOf,
  type Harness,
} from './record-reply-harness.js';

/** POST /twilio/routing: the key pressed in a business's phone menu, and where it leads. */

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  h.businesses.set(BUSINESS_NUMBER, business({ settings: { phoneMenu: SALES_SUPPORT } }));
});
afterEach(async () => h.close());

const callSid = `CA${'a1'.repeat(16)}`;
const press = (digits: string, query = '') =>
  h.post(`/twilio/routing${query}`, callParams(callSid, { Digits: digits }));

/** The stream token the answer carries, as the media stream would verify it. */
async function streamTokenOf(verbs: Awaited<ReturnType<typeof verbsOf>>) {
  const connect = verbs.find((v) => v.name === 'Connect');
  const token = connect?.children[0]?.children.find((p) => p.attrs['name'] === 'token')?.attrs['value'];
  return token ? h.tokens.verify(token) : undefined;
}

describe('POST /twilio/routing', () => {
  it('a dial option rings the person with the business as caller ID, and asks what next when the dial ends', async () => {
    const verbs = await verbsOf(await press('1'));
    expect(verbs.map((v) => [v.name, v.text])).toEqual([
      ['Say', 'Connecting you to sales.'],
      ['Dial', '+15005550111'],
    ]);
    expect(verbs[1]?.attrs).toEqual({
      callerId: BUSINESS_NUMBER,
      action: `${PUBLIC_URL}/twilio/routing/dial-status`,
      method: 'POST',
      timeout: '20',
    });
  });

  it('the assistant option connects a media stream on a fresh token for this call', async () => {
    const verbs = await verbsOf(await press('2'));
    expect(verbs.map((v) => v.name)).toEqual(['Connect', 'Redirect']);
    expect(await streamTokenOf(verbs)).toMatchObject({ ok: true, claims: { callSid } });
  });

  it('the message option takes a message', async () => {
    const verbs = await verbsOf(await press('3'));
    expect(verbs[0]?.name).toBe('Gather');
    expect(verbs[0]?.attrs).toMatchObject({
      input: 'speech',
      action: `${PUBLIC_URL}/twilio/message?attempt=1`,
    });
    expect(verbs[0]?.children[0]?.text).toBe(LEAVE_A_MESSAGE);
  });

  it('an unknown key hears "not an option" and the menu once more, then the assistant', async () => {
    const again = await verbsOf(await press('9'));
    expect(again.map((v) => v.name)).toEqual(['Gather', 'Connect', 'Redirect']);
    expect(again[0]?.attrs['action']).toBe(`${PUBLIC_URL}/twilio/routing?attempt=2`);
    expect(again[0]?.children[0]?.text).toMatch(new RegExp(`^${NOT_AN_OPTION_LINE} Press 1 for sales`));
    const then = await verbsOf(await press('9', '?attempt=2'));
    expect(then.map((v) => [v.name, v.text])).toEqual([
      ['Say', NOT_AN_OPTION_LINE],
      ['Connect', ''],
      ['Redirect', `${PUBLIC_URL}/twilio/stream-ended`],
    ]);
  });

  it('on a plan without the voice agent, the assistant is message taking', async () => {
    h.businesses.set(BUSINESS_NUMBER, business({ plan: 'FREE', settings: { phoneMenu: SALES_SUPPORT } }));
    const verbs = await verbsOf(await press('2'));
    expect(verbs[0]?.attrs['action']).toBe(`${PUBLIC_URL}/twilio/message?attempt=1`);
  });

  it('unsigned or forged: 403', async () => {
    const res = await h.post('/twilio/routing', callParams(callSid, { Digits: '1' }), { signed: false });
    expect(res.status).toBe(403);
  });
});

describe('POST /twilio/routing/dial-status', () => {
  const dialEnded = (status: string) =>
    h.post('/twilio/routing/dial-status', callParams(callSid, { DialCallStatus: status, Digits: '1' }));

  it.each(['no-answer', 'busy', 'failed'])(
    '%s: the caller reaches the assistant, never a dead line',
    async (status) => {
      const verbs = await verbsOf(await dialEnded(status));
      expect(verbs.map((v) => [v.name, v.text])).toEqual([
        ['Say', NOBODY_ANSWERED_LINE],
        ['Connect', ''],
        ['Redirect', `${PUBLIC_URL}/twilio/stream-ended`],
      ]);
      expect(await streamTokenOf(verbs)).toMatchObject({ ok: true });
    },
  );

  it('completed (they talked): hang up', async () => {
    expect((await verbsOf(await dialEnded('completed'))).map((v) => v.name)).toEqual(['Hangup']);
  });

  it('unsigned: 403', async () => {
    const res = await h.post('/twilio/routing/dial-status', callParams(callSid, { DialCallStatus: 'busy' }), {
      signed: false,
    });
    expect(res.status).toBe(403);
  });
});
