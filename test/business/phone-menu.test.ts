import { describe, expect, it } from 'vitest';
import { menuPrompt, phoneMenuOf, phoneMenuSchema } from '../../src/business/phone-menu.js';

/** A business's phone menu (issue 13 item 5) as kept in its settings: the schema, and its prompt. */

const SALES_SUPPORT = {
  enabled: true,
  options: [
    { digit: '1', label: 'sales', action: 'dial', number: '+15005550111' },
    { digit: '2', label: 'support', action: 'assistant' },
    { digit: '3', label: 'a message', action: 'message' },
  ],
};

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
