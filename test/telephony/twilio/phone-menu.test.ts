import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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

/** A business's phone menu (issue 13 item 5) on a call: the voice webhook's answer (the menu itself: test/business/phone-menu.test.ts). */

describe('the voice webhook with a menu', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => h.close());

  it('gathers one key (absolute action) over the greeting and the choices, then connects the assistant', async () => {
    h.businesses.set(
      BUSINESS_NUMBER,
      business({ settings: { phoneMenu: { ...SALES_SUPPORT, timeoutSeconds: 7 } } }),
    );
    const verbs = await verbsOf(await h.post('/twilio/voice', callParams(`CA${'6'.repeat(32)}`)));
    expect(verbs.map((v) => v.name)).toEqual(['Gather', 'Connect', 'Redirect']);
    expect(verbs[0]?.attrs).toEqual({
      input: 'dtmf',
      numDigits: '1',
      action: `${PUBLIC_URL}/twilio/routing`,
      method: 'POST',
      timeout: '7',
    });
    // Closed now (no hours): the greeting's own "for emergencies, press 1" is left out, the keys
    // are the menu's.
    expect(verbs[0]?.children.map((c) => [c.name, c.text])).toEqual([
      [
        'Say',
        "Acme Plumbing. We're closed. Press 1 for sales, press 2 for support, press 3 for a message, or stay on the line for our assistant.",
      ],
    ]);
  });

  it('on record-and-reply, staying on the line reaches the recorded assistant', async () => {
    h.businesses.set(
      BUSINESS_NUMBER,
      business({ settings: { phoneMenu: SALES_SUPPORT, voice: { mediaStreams: false } } }),
    );
    const verbs = await verbsOf(await h.post('/twilio/voice', callParams(`CA${'7'.repeat(32)}`)));
    expect(verbs.map((v) => v.name)).toEqual(['Gather', 'Say', 'Record', 'Redirect']);
  });

  it('a business without a menu is answered as before', async () => {
    const verbs = await verbsOf(await h.post('/twilio/voice', callParams(`CA${'8'.repeat(32)}`)));
    expect(verbs.map((v) => v.name)).toEqual(['Connect', 'Redirect']);
  });
});
