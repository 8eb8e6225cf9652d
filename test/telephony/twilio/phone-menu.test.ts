import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { menuPrompt, phoneMenuOf, phoneMenuSchema } from '../../../src/telephony/twilio/phone-menu.js';
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

/** A business's phone menu (issue 13 item 5): its settings, its prompt, and the voice webhook's answer. */

describe('phoneMenuSchema', () => {
  it('takes the documented shape and defaults the timeout to 5 s', () => {
    const menu = phoneMenuSchema.parse(SALES_SUPPORT);
    expect(menu.timeoutSeconds).toBe(5);
    expect(menu.options.map((o) => o.action)).toEqual(['dial', 'assistant', 'message']);
  });

  it.each([
    [{ ...SALES_SUPPORT, timeoutSeconds: 16 }, 'timeoutSeconds'],
    [{ ...SALES_SUPPORT, timeoutSeconds: 0 }, 'timeoutSeconds'],
    [{ enabled: true, options: [{ digit: '12', label: 'x', action: 'assistant' }] }, 'options.0.digit'],
    [{ enabled: true, options: [{ digit: '*', label: 'x', action: 'assistant' }] }, 'options.0.digit'],
    [
      { enabled: true, options: [{ digit: '1', label: 'x', action: 'dial', number: '555-1234' }] },
      'options.0.number',
    ],
    [{ enabled: true, options: [{ digit: '1', label: 'x', action: 'dial' }] }, 'options.0.number'],
    [{ enabled: true, options: [{ digit: '1', label: 'x', action: 'voicemail' }] }, 'options.0.action'],
    [
      {
        enabled: true,
        options: [
          { digit: '1', label: 'a', action: 'assistant' },
          { digit: '1', label: 'b', action: 'message' },
        ],
      },
      'options.1.digit',
    ],
    [{ enabled: true, options: [] }, 'options'],
  ])('refuses %j at %s', (input, at) => {
    const parsed = phoneMenuSchema.safeParse(input);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toContain(at);
  });

  it('a disabled or broken menu in settings is no menu (the call is answered as without one)', () => {
    expect(phoneMenuOf({ phoneMenu: { ...SALES_SUPPORT, enabled: false } })).toBeUndefined();
    expect(phoneMenuOf({ phoneMenu: { enabled: true, options: 'x' } })).toBeUndefined();
    expect(phoneMenuOf({})).toBeUndefined();
    expect(phoneMenuOf({ phoneMenu: SALES_SUPPORT })?.options).toHaveLength(3);
  });

  it('says the choices, then that staying on the line reaches the assistant; a prompt of its own replaces that', () => {
    expect(menuPrompt(phoneMenuSchema.parse(SALES_SUPPORT))).toBe(
      'Press 1 for sales, press 2 for support, press 3 for a message, or stay on the line for our assistant.',
    );
    expect(menuPrompt(phoneMenuSchema.parse({ ...SALES_SUPPORT, prompt: 'Press 1 for Bob.' }))).toBe(
      'Press 1 for Bob.',
    );
  });
});

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
