import { describe, expect, it } from 'vitest';
import type { BrainOutput, TurnInput } from '../../src/agent/brain.js';
import { Metrics } from '../../src/http/metrics.js';
import { InProcessBus } from '../../src/store/bus/index.js';
import { callEndLine } from '../../src/voice/call-end-line.js';
import { callEventSchema, type CallEvent } from '../../src/voice/events.js';
import { VoiceHarness } from '../support/voice-harness.js';

const say = (...texts: string[]): BrainOutput[] => texts.map((text) => ({ type: 'say', text }));
const answer =
  (reply: string[]) =>
  (turn: TurnInput): BrainOutput[] =>
    turn.kind === 'call-started' ? say('Hello there.') : say(...reply);
const settle = () => new Promise((r) => setImmediate(r));

/** `types` appear in `events` in this order (other events may come between them). */
function inOrder(events: CallEvent[], types: string[]): string[] {
  const labels = events.map((e) => ('track' in e ? `${e.type}:${e.track}` : e.type));
  let i = 0;
  for (const l of labels) if (l === types[i]) i++;
  return types.slice(i);
}

/** A counter's value, or a histogram's sample count (`name` ending in _count). */
async function metricValue(m: Metrics, name: string, labels: Record<string, string> = {}) {
  const base = name.replace(/_count$/, '');
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === base);
  const v = metric?.values.find(
    (x) =>
      (base === name || (x as { metricName?: string }).metricName === name) &&
      Object.entries(labels).every(([k, val]) => x.labels[k] === val),
  );
  return v?.value ?? 0;
}

describe('call events', () => {
  it('a subscriber on the bus sees a whole call, in order, with no gaps, each event valid as sent', async () => {
    const h = new VoiceHarness({
      brain: answer(['We open at eight.']),
      transcripts: ['what are your hours'],
    });
    const bus = new InProcessBus<CallEvent>();
    h.stream.subscribe((e) => void bus.publish(e));
    const byCall: CallEvent[] = [];
    const byBusiness: CallEvent[] = [];
    await bus.subscribe({ callSid: 'CAtest' }, (e) => void byCall.push(e));
    await bus.subscribe({ businessId: 'b-test' }, (e) => void byBusiness.push(e));

    h.session.start();
    await h.runUntil(() => h.turns.some((t) => t.speaker === 'agent'));
    await h.run(200);
    h.callerSpeaks(800);
    await h.runUntil(() => h.turns.filter((t) => t.speaker === 'agent').length === 2);
    await h.run(200);
    await h.end('stop');
    await settle();

    expect(byCall.map((e) => e.seq)).toEqual(byCall.map((_, i) => i + 1));
    expect(byCall).toEqual(h.events);
    expect(byBusiness).toEqual(h.events);
    for (const e of byCall) expect(callEventSchema.parse(e)).toEqual(e);
    expect(
      inOrder(byCall, [
        'call-started',
        'agent-turn-started',
        'speech-started:outbound',
        'speech-stopped:outbound',
        'agent-turn-ended',
        'speech-started:inbound',
        'transcript-interim:inbound',
        'speech-stopped:inbound',
        'transcript-final:inbound',
        'agent-turn-started',
        'turn-latency',
        'agent-turn-ended',
        'call-ended',
      ]),
    ).toEqual([]);
    expect(byCall.at(-1)).toMatchObject({
      type: 'call-ended',
      reason: 'stop',
      outcome: 'caller-hung-up',
      recording: 'recordings/CAtest.wav',
      summary: { turns: 3, callerTurns: 1, agentTurns: 2, interruptions: 0 },
    });
    expect(byCall.find((e) => e.type === 'transcript-final')).toMatchObject({ text: 'what are your hours' });
  });

  it('the call log and metrics are driven by the events: a barge-in is stored as heard and counted', async () => {
    const long = [
      'We are open Monday to Friday from eight in the morning until six in the evening.',
      'On Saturdays we open from nine until one.',
    ];
    const h = new VoiceHarness({ brain: answer(long), transcripts: ['hours', 'wait a second'] });
    const metrics = new Metrics();
    h.stream.subscribe(metrics.observeCall);
    h.session.start();
    await h.runUntil(() => h.turns.some((t) => t.speaker === 'agent'));
    await h.run(200);
    h.callerSpeaks(500);
    await h.runUntil(() => h.agentAudible);
    await h.run(1000);
    h.callerSpeaks(900);
    await h.runUntil(() => h.turns.some((t) => t.interrupted));
    await h.runUntil(() => h.turns.filter((t) => t.speaker === 'agent').length === 3, 10_000);
    await h.end('stop');

    // Stored turns: the cut answer with what was heard and its latency.
    const cut = h.store.turns.find((t) => t.interrupted)!;
    expect(cut).toMatchObject({ speaker: 'agent', text: long.join(' ') });
    expect(cut.heardText!.split(' ').length).toBeLessThan(long.join(' ').split(' ').length);
    expect(cut.latency?.firstFrameSentMs).toBeGreaterThan(0);
    expect(cut.startedAt.getTime()).toBeLessThan(cut.endedAt.getTime());
    const cutEvent = h.events.find((e) => e.type === 'agent-turn-interrupted');
    expect(cutEvent).toMatchObject({ reason: 'barge-in', heardText: cut.heardText });
    // Stored events, in order, and the end: recording, summary with its outcome, end.
    const types = h.store.events.map((e) => e.type);
    expect(types[0]).toBe('stream-started');
    expect(h.store.events[0]!.payload).toEqual({ streamSid: 'MZtest' });
    expect(types).toContain('barge-in');
    expect(types.at(-1)).toBe('stream-stopped');
    expect(h.store.recording).toBe('recordings/CAtest.wav');
    expect(h.store.summary).toMatchObject({ outcome: 'caller-hung-up', interruptions: 1, endReason: 'stop' });
    expect(h.store.ended).toEqual({ reason: 'stop', transferred: false });
    // Metrics from the same events.
    expect(await metricValue(metrics, 'switchboard_barge_ins_total')).toBe(1);
    const latencies = h.events.filter((e) => e.type === 'turn-latency').length;
    expect(latencies).toBe(2);
    expect(
      await metricValue(metrics, 'switchboard_turn_latency_seconds_count', { stage: 'firstFrameSent' }),
    ).toBe(latencies);
    expect(await metricValue(metrics, 'switchboard_calls_ended_total', { outcome: 'caller-hung-up' })).toBe(
      1,
    );
  });

  it('the end of a call is one log line with its shape and none of its words', async () => {
    const h = new VoiceHarness({
      brain: answer(['We open at eight.']),
      transcripts: ['my name is jane doe'],
    });
    const lines: Array<{ obj: Record<string, unknown>; msg: string | undefined }> = [];
    h.stream.subscribe(callEndLine({ info: (obj, msg) => void lines.push({ obj: { ...obj }, msg }) }));
    h.session.start();
    await h.runUntil(() => h.turns.some((t) => t.speaker === 'agent'));
    h.callerSpeaks(700);
    await h.runUntil(() => h.turns.filter((t) => t.speaker === 'agent').length === 2);
    await h.end('stop');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.obj).toMatchObject({ callSid: 'CAtest', outcome: 'caller-hung-up', turns: 3 });
    expect(lines[0]!.obj['durationSec']).toBeGreaterThan(0);
    expect(JSON.stringify(lines[0])).not.toMatch(/jane|eight/i);
  });

  it('a call log write that fails is logged and the rest of the log is still written', async () => {
    const h = new VoiceHarness({ brain: answer(['Sure.']) });
    h.store.setRecording = async () => {
      throw new Error('disk full');
    };
    h.session.start();
    await h.runUntil(() => h.turns.some((t) => t.speaker === 'agent'));
    await h.end('stop');
    expect(h.store.recording).toBeUndefined();
    expect(h.store.summary).toMatchObject({ outcome: 'caller-hung-up' });
    expect(h.store.ended).toEqual({ reason: 'stop', transferred: false });
  });
});

describe('fixed lines through say()', () => {
  const longLine = 'One two three four five six seven eight nine ten eleven twelve thirteen fourteen.';

  it('a line said with allowInterruptions false is not cut by the caller, whose words are answered after it', async () => {
    const h = new VoiceHarness({ brain: answer(['Okay.']), transcripts: ['hello are you there'] });
    h.session.start();
    await h.runUntil(() => h.turns.some((t) => t.speaker === 'agent'));
    await h.run(200);
    const said = h.session.say(longLine, { allowInterruptions: false });
    await h.runUntil(() => h.agentAudible);
    await h.run(300);
    h.callerSpeaks(900);
    const outcome = await (async () => {
      let done: Awaited<typeof said> | undefined;
      void said.then((o) => (done = o));
      await h.runUntil(() => done !== undefined, 5000);
      return done;
    })();
    expect(outcome).toMatchObject({ interrupted: false, text: longLine });
    expect(h.clears()).toEqual([]);
    await h.runUntil(() => h.brain.inputs.length === 2, 5000);
    expect(h.brain.inputs[1]).toMatchObject({ kind: 'speech', text: 'hello are you there' });
    expect(h.events.find((e) => e.type === 'agent-turn-started' && e.source === 'say')).toMatchObject({
      allowInterruptions: false,
    });
  });

  it('a line the caller may interrupt resolves with what was heard of it', async () => {
    const h = new VoiceHarness({ brain: answer(['Okay.']), transcripts: ['stop'] });
    h.session.start();
    await h.runUntil(() => h.turns.some((t) => t.speaker === 'agent'));
    await h.run(200);
    let outcome: Awaited<ReturnType<typeof h.session.say>> | undefined;
    void h.session.say(longLine).then((o) => (outcome = o));
    await h.runUntil(() => h.agentAudible);
    await h.run(500);
    h.callerSpeaks(700);
    await h.runUntil(() => outcome !== undefined, 5000);
    expect(outcome).toMatchObject({ interrupted: true });
    if (!outcome?.interrupted) throw new Error('expected a cut line');
    expect(outcome.heardText.length).toBeGreaterThan(0);
    expect(longLine.startsWith(outcome.heardText)).toBe(true);
    expect(h.clears()).toHaveLength(1);
  });

  it('after an emergency, the safety advice cannot be talked over', async () => {
    const safety = 'Please leave the building now and call the gas company from outside.';
    const h = new VoiceHarness({
      brain: (t) =>
        t.kind === 'call-started'
          ? say('Hello there.')
          : t.kind === 'speech' && t.text === 'i smell gas'
            ? [
                { type: 'emergency', category: 'gas', trigger: 'smell gas', summary: 'gas smell' },
                ...say("I'm alerting our on-call team right now.", safety),
              ]
            : say('Okay.'),
      transcripts: ['i smell gas', 'what should i do'],
    });
    h.session.start();
    await h.runUntil(() => h.turns.some((t) => t.speaker === 'agent'));
    await h.run(200);
    h.callerSpeaks(500);
    await h.runUntil(() => h.agentAudible);
    await h.run(400);
    h.callerSpeaks(1200); // the caller talks over the advice
    await h.runUntil(() => h.turns.filter((t) => t.speaker === 'agent').length === 2, 10_000);
    expect(h.clears()).toEqual([]);
    expect(h.turns.filter((t) => t.speaker === 'agent')[1]).toMatchObject({
      text: `I'm alerting our on-call team right now. ${safety}`,
      interrupted: false,
    });
    expect(h.events.find((e) => e.type === 'emergency')).toMatchObject({ category: 'gas' });
    expect(h.store.events.find((e) => e.type === 'emergency')?.payload).toEqual({ category: 'gas' });
    // What the caller said over it is answered next.
    await h.runUntil(() => h.brain.inputs.length === 3, 5000);
    expect(h.brain.inputs[2]).toMatchObject({ kind: 'speech', text: 'what should i do' });
  });
});
