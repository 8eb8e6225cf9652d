import { describe, expect, it } from 'vitest';
import { RulesBrain } from '../../../src/agent/rules/rules-brain.js';
import type { E164 } from '../../../src/ids.js';
import { FakeTools } from '../fakes.js';
import { chicago, dentist, plumber } from '../fixtures/businesses.js';
import { Conversation, collect, makeCtx } from '../helpers.js';

const NOW = chicago('2025-06-11T22:00:00'); // after hours

describe('emergencies in conversation', () => {
  it('raises the alert before speaking, gives safety advice and transfers to the on-call number', async () => {
    const tools = new FakeTools(plumber, () => NOW);
    const ctx = makeCtx(plumber, NOW, { callerId: '+15005550006' as E164 });
    const outs = await collect(
      new RulesBrain({ tools }),
      { kind: 'speech', text: 'help my basement is flooding' },
      ctx,
    );
    expect(outs[0]).toMatchObject({ type: 'emergency', category: 'flooding', trigger: 'flooding' });
    expect(tools.emergencies).toHaveLength(1);
    expect(tools.emergencies[0]).toMatchObject({ category: 'flooding', callerId: '+15005550006' });
    expect(tools.emergencies[0]?.transcript.at(-1)).toMatchObject({
      speaker: 'caller',
      text: 'help my basement is flooding',
    });
    const said = outs.filter((o) => o.type === 'say').map((o) => (o as { text: string }).text);
    expect(said).toContain("I'm alerting our on-call team right now.");
    expect(said.join(' ')).toContain('turn off the main water valve');
    expect(outs.at(-1)).toMatchObject({ type: 'transfer', to: '+15005550002', reason: 'emergency' });
    expect(tools.transfers[0]?.summary).toContain('Emergency: flooding.');
    expect(tools.lastLead?.fields).toMatchObject({
      need: 'Emergency: help my basement is flooding',
      urgency: 'urgent',
    });
  });

  it('keeps the alert going even when the caller talks over the agent', async () => {
    const tools = new FakeTools(plumber, () => NOW);
    const ac = new AbortController();
    const brain = new RulesBrain({ tools });
    for await (const o of brain.respond(
      { kind: 'speech', text: 'I smell gas' },
      makeCtx(plumber, NOW),
      ac.signal,
    )) {
      if (o.type === 'say') ac.abort();
    }
    expect(tools.emergencies).toHaveLength(1);
  });

  it('without an on-call number, takes name and number for a fast call back', async () => {
    const now = new Date('2025-06-11T23:00:00-04:00');
    const tools = new FakeTools(dentist, () => now);
    const c = new Conversation(new RulesBrain({ tools }), { business: dentist, channel: 'phone', now });
    const first = await c.turn('my tooth was pulled today and it will not stop bleeding');
    expect(first.outs[0]).toMatchObject({ type: 'emergency', category: 'bleeding' });
    expect(first.said).toContain('call 911');
    expect(first.said).toMatch(
      /So they can reach you fast, I just need a couple of details\. Can I get your name, please\?$/,
    );
    await c.turn('Ana Ruiz');
    await c.turn('yes');
    await c.turn('three one two five five five oh one nine nine');
    const done = await c.turn('yes');
    expect(done.said).toContain('The team has your details and will call you right back.');
    expect(tools.lastLead?.fields).toMatchObject({
      name: 'Ana Ruiz',
      phone: '+13125550199',
      urgency: 'urgent',
    });
  });

  it('raises each emergency once, even when the caller says it again', async () => {
    const tools = new FakeTools(dentist, () => NOW);
    const c = new Conversation(new RulesBrain({ tools }), { business: dentist, channel: 'phone', now: NOW });
    await c.turn('my face is swollen');
    await c.turn('my face is really swollen');
    expect(tools.emergencies).toHaveLength(1);
  });

  it('detects an emergency in an answer to a lead question', async () => {
    const tools = new FakeTools(plumber, () => NOW);
    const c = new Conversation(new RulesBrain({ tools }), { business: plumber, channel: 'chat', now: NOW });
    await c.turn('leave a message');
    await c.turn('Sam');
    const r = await c.turn('actually water is pouring through the ceiling now');
    expect(r.outs[0]).toMatchObject({ type: 'emergency', category: 'flooding' });
  });
});
