import { describe, expect, it } from 'vitest';
import { RulesBrain } from '../../../src/agent/rules/rules-brain.js';
import type { E164 } from '../../../src/ids.js';
import { FakeTools } from '../fakes.js';
import { chicago, plumber } from '../fixtures/businesses.js';
import { Conversation } from '../helpers.js';

function call(now: Date, channel: 'phone' | 'chat' = 'phone') {
  const tools = new FakeTools(plumber, () => now);
  const c = new Conversation(new RulesBrain({ tools }), {
    business: plumber,
    channel,
    now,
    callerId: '+15005550006' as E164,
  });
  return { c, tools };
}

describe('hand-over to a human', () => {
  it.each([
    'can I talk to a person',
    'let me speak to a human',
    'representative',
    'I want to speak with someone',
    'operator please',
  ])('transfers on %j while open, with a summary for the human', async (text) => {
    const { c, tools } = call(chicago('2025-06-11T10:00:00'));
    await c.turn('my water heater is making a banging noise');
    const r = await c.turn(text);
    expect(r.outs.at(-1)).toMatchObject({ type: 'transfer', to: '+15005550001', reason: 'caller-request' });
    expect(tools.transfers[0]?.summary).toContain('Callback: 500-555-0006.');
  });

  it('takes a message after hours instead', async () => {
    const { c, tools } = call(chicago('2025-06-11T21:00:00'));
    const r = await c.turn('can I talk to a real person');
    expect(r.said).toBe(
      "The team isn't available right now; we open again tomorrow at 8 a.m. I can take a message and make sure someone gets back to you. Can I get your name, please?",
    );
    expect(tools.transfers).toEqual([]);
  });

  it('transfers when the caller presses 0', async () => {
    const { c } = call(chicago('2025-06-11T10:00:00'));
    const r = await c.turn({ kind: 'dtmf', digits: '0' });
    expect(r.outs.at(-1)).toMatchObject({ type: 'transfer' });
  });

  it('does not transfer a chat; it takes a message', async () => {
    const { c } = call(chicago('2025-06-11T10:00:00'), 'chat');
    const r = await c.turn('talk to a human');
    expect(r.outs.some((o) => o.type === 'transfer')).toBe(false);
    expect(r.said).toContain('take a message');
  });
});
