import { describe, expect, it } from 'vitest';
import {
  createAssistSessions,
  type AssistSessionsDeps,
  type CoachContext,
} from '../../src/assist/assist-sessions.js';
import {
  AssistSession,
  type AssistCoach,
  type ListenerFactory,
  type AssistGate,
  type AssistStreamCall,
  type CustomerSentiment,
  type HeardWords,
  type SuggestionCandidate,
} from '../../src/assist/assist-session.js';
import type { AssistEvent } from '../../src/assist/events.js';
import { pcmToMulaw } from '../../src/audio/index.js';
import { businessProfileSchema } from '../../src/business/index.js';
import { asBusinessId, asCallSid, asStreamSid } from '../../src/ids.js';
import type { SpeechToText, SttStream, SttStreamOptions } from '../../src/providers/stt/index.js';
import type { Logger } from '../../src/shared/index.js';
import type { AppendTurnInput, NewShownSuggestion } from '../../src/store/index.js';
import { ScriptedStt } from '../providers/stt/support/scripted-stt.js';
import { FakeClock } from '../support/fake-clock.js';
import { EnergyVad } from '../support/voice-harness.js';

const CALL = asCallSid('CA00000000000000000000000000000001');
const BUSINESS = asBusinessId('00000000-0000-4000-8000-000000000001');
const LOUD = pcmToMulaw(new Int16Array(160).fill(8000));
const QUIET = pcmToMulaw(new Int16Array(160));

const profile = businessProfileSchema.parse({
  name: 'Acme Plumbing',
  trade: 'plumbing',
  services: [{ id: 'drain', name: 'Drain cleaning', durationMinutes: 60, price: 'from $89' }],
  timezone: 'America/Chicago',
  hours: { weekly: {} },
});

/** A recognizer per side: each track's stream says its own script. */
class TwoSidedStt implements SpeechToText {
  readonly name = 'two-sided';
  readonly sampleRate = 8000;
  readonly capabilities = { turnEnd: 'vad', interimResults: true } as const;
  /** While true, opening a stream fails (the recognizer is down). */
  down = false;
  opened = 0;
  constructor(private readonly sides: { inbound: ScriptedStt; outbound: ScriptedStt }) {}
  stream(o: SttStreamOptions): SttStream {
    if (this.down) throw new Error('recognizer unreachable');
    this.opened++;
    return this.sides[o.track].stream(o);
  }
  async close(): Promise<void> {}
}

/** A coach that suggests on a price question (interim or final) and records what it heard. */
class FakeCoach implements AssistCoach {
  readonly heard: HeardWords[] = [];
  readonly ticks: number[] = [];
  mood: CustomerSentiment | undefined;
  throws = false;
  async hear(h: HeardWords): Promise<SuggestionCandidate[]> {
    if (this.throws) throw new Error('coach broke');
    this.heard.push(h);
    if (h.speaker !== 'customer' || !/price|cost/.test(h.text)) return [];
    if (h.final) this.mood = { score: -0.2, label: 'neutral', trend: 'steady' };
    return [
      {
        kind: 'intent',
        intent: 'pricing',
        content: 'Customer asked about pricing: drain cleaning is from $89.',
        confidence: 0.9,
        priority: 'medium',
        basis: h.final ? 'final' : 'interim',
        evidence: { words: h.text },
        ...(h.voiceEndMs !== undefined ? { voiceEndMs: h.voiceEndMs } : {}),
      },
    ];
  }
  tick(atMs: number): SuggestionCandidate[] {
    this.ticks.push(atMs);
    return [];
  }
  sentiment(): CustomerSentiment | undefined {
    return this.mood;
  }
}

/** Shows a card once per kind+intent, as the real gate would. */
class OnceGate implements AssistGate {
  private readonly seen = new Set<string>();
  admit(c: SuggestionCandidate): boolean {
    const key = `${c.kind}:${c.intent ?? ''}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }
}

const quietLog: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function harness(
  scripts: { inbound: string[]; outbound: string[] },
  opts: { busThrows?: boolean; busHangs?: boolean; storeThrows?: boolean; realCoach?: boolean } = {},
) {
  const clock = new FakeClock();
  const stt = new TwoSidedStt({
    inbound: new ScriptedStt(scripts.inbound),
    outbound: new ScriptedStt(scripts.outbound),
  });
  const coach = new FakeCoach();
  const events: AssistEvent[] = [];
  const turns: AppendTurnInput[] = [];
  const recorded: NewShownSuggestion[] = [];
  const enqueued: string[] = [];
  const contexts: CoachContext[] = [];
  const warnings: Array<{ obj: object; msg?: string }> = [];
  const log: Logger = { ...quietLog, warn: (obj, msg) => warnings.push({ obj, ...(msg ? { msg } : {}) }) };
  let wall = 1_700_000_000_000;
  const deps: AssistSessionsDeps = {
    stt: [stt],
    vad: { createStream: () => new EnergyVad(0.1) },
    bus: {
      publish: async (e) => {
        if (opts.busThrows) throw new Error('bus down');
        if (opts.busHangs) return new Promise<void>(() => {});
        events.push(e);
      },
    },
    calls: {
      appendTurn: async (_sid, t) => {
        if (opts.storeThrows) throw new Error('database down');
        turns.push(t);
        return undefined;
      },
    },
    suggestions: {
      record: async (s) => {
        if (opts.storeThrows) throw new Error('database down');
        recorded.push(s);
        return true;
      },
    },
    businessProfile: async () => profile,
    searchKnowledge: async () => [],
    cardIntervalMs: 4000,
    ...(opts.realCoach
      ? {}
      : {
          coachFor: (ctx: CoachContext) => {
            contexts.push(ctx);
            return { coach, gate: new OnceGate() };
          },
        }),
    summaries: { enqueue: (sid) => enqueued.push(sid) },
    log: quietLog,
    clock,
    now: () => (wall += 1),
    retryDelaysMs: [2000, 5000],
    drainMs: 500,
  };
  const sessions = createAssistSessions(deps);
  const start = () =>
    sessions.start({
      callSid: CALL,
      businessId: BUSINESS,
      streamSid: asStreamSid('MZ1'),
      tracks: ['inbound', 'outbound'],
      source: 'dial',
      log,
    });
  /** Plays `ms` of both tracks, each loud where its own `speaking(t)` says. */
  const play = async (
    call: AssistStreamCall,
    fromMs: number,
    toMs: number,
    speaking: { inbound?: (ms: number) => boolean; outbound?: (ms: number) => boolean },
  ) => {
    for (let ms = fromMs; ms < toMs; ms += 20) {
      call.onAudio('inbound', speaking.inbound?.(ms) ? LOUD : QUIET);
      call.onAudio('outbound', speaking.outbound?.(ms) ? LOUD : QUIET);
      clock.advance(20);
      await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setImmediate(r));
  };
  return { clock, stt, coach, events, turns, recorded, enqueued, contexts, warnings, sessions, start, play };
}

const between = (a: number, b: number) => (ms: number) => ms >= a && ms < b;
const ofType = <T extends AssistEvent['type']>(events: AssistEvent[], type: T) =>
  events.filter((e): e is Extract<AssistEvent, { type: T }> => e.type === type);

describe('AssistSession', () => {
  it('publishes each side as its own speaker, interim then final, and stores the turns as caller and human_agent', async () => {
    const h = harness({
      inbound: ['my kitchen sink is blocked'],
      outbound: ['thanks for calling acme plumbing'],
    });
    const call = await h.start();
    await h.play(call, 0, 4000, { outbound: between(200, 1200), inbound: between(2000, 3000) });
    await call.end('stop');

    const transcripts = ofType(h.events, 'assist-transcript');
    expect(transcripts.filter((t) => t.final).map((t) => [t.speaker, t.text])).toEqual([
      ['agent', 'thanks for calling acme plumbing'],
      ['customer', 'my kitchen sink is blocked'],
    ]);
    expect(transcripts.some((t) => !t.final && t.speaker === 'customer' && t.text === 'my kitchen')).toBe(
      true,
    );
    expect(transcripts.some((t) => !t.final && t.speaker === 'agent')).toBe(true);
    const customerFinal = transcripts.find((t) => t.final && t.speaker === 'customer')!;
    expect(customerFinal.startMs).toBeGreaterThanOrEqual(1900);
    expect(customerFinal.endMs).toBeGreaterThan(customerFinal.startMs);

    expect(h.turns.map((t) => [t.speaker, t.text])).toEqual([
      ['human_agent', 'thanks for calling acme plumbing'],
      ['caller', 'my kitchen sink is blocked'],
    ]);
    expect(h.turns[1]!.startOffsetMs).toBe(Math.round(customerFinal.startMs));
    expect(h.turns[1]!.endOffsetMs).toBe(Math.round(customerFinal.endMs!));

    // The coach heard the customer's interim and final, and the agent's final; no agent interims.
    expect(h.coach.heard.map((x) => [x.speaker, x.final, x.text])).toEqual([
      ['agent', true, 'thanks for calling acme plumbing'],
      ['customer', false, 'my kitchen'],
      ['customer', true, 'my kitchen sink is blocked'],
    ]);
    expect(h.coach.heard[2]!.voiceEndMs).toBe(customerFinal.endMs);
    // The coach was built for this call's business, its knowledge search bound to it.
    expect(h.contexts[0]!.businessId).toBe(BUSINESS);
    expect(h.contexts[0]!.business.name).toBe('Acme Plumbing');
  });

  it('a suggestion is published on the bus and recorded in the audit log with the same id, shown at its publish time', async () => {
    const h = harness({ inbound: ['how much does a drain cleaning cost'], outbound: [] });
    const call = await h.start();
    await h.play(call, 0, 2500, { inbound: between(200, 1400) });
    await call.end('stop');

    const cards = ofType(h.events, 'assist-suggestion');
    // The interim ("how much") does not mention price; the final does: one card, from the final.
    expect(cards).toHaveLength(1);
    const card = cards[0]!;
    expect(card.suggestion.intent).toBe('pricing');
    expect(card.suggestion.basis).toBe('final');
    expect(card.suggestion.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(card.suggestion.voiceEndMs).toBeGreaterThan(1300);
    expect(h.recorded).toHaveLength(1);
    expect(h.recorded[0]).toMatchObject({
      id: card.suggestion.id,
      callSid: CALL,
      businessId: BUSINESS,
      kind: 'intent',
      intent: 'pricing',
      content: card.suggestion.content,
      basis: 'final',
      atMs: card.suggestion.atMs,
    });
    expect(h.recorded[0]!.shownAt.getTime()).toBe(card.at);
    // Sentiment after the customer's final, once (it did not change after).
    expect(ofType(h.events, 'assist-sentiment')).toEqual([
      expect.objectContaining({ score: -0.2, label: 'neutral', trend: 'steady' }),
    ]);
  });

  it('with the real coach and gate, a customer asking the price puts a pricing card on the bus and in the audit log', async () => {
    const h = harness(
      { inbound: ['how much does a drain cleaning cost'], outbound: [] },
      { realCoach: true },
    );
    const call = await h.start();
    await h.play(call, 0, 2500, { inbound: between(200, 1400) });
    await call.end('stop');
    const cards = ofType(h.events, 'assist-suggestion').map((e) => e.suggestion);
    const pricing = cards.find((c) => c.intent === 'pricing');
    expect(pricing).toBeDefined();
    expect(pricing!.content).toContain('$89');
    expect(h.recorded.map((r) => r.id)).toContain(pricing!.id);
  });

  it('numbers events 1, 2, 3... with assist-started first and assist-ended last, and queues the summary', async () => {
    const h = harness({ inbound: ['what does it cost'], outbound: ['hello'] });
    const call = await h.start();
    await h.play(call, 0, 3000, { outbound: between(100, 700), inbound: between(1200, 2000) });
    await call.end('stop');

    expect(h.events.map((e) => e.seq)).toEqual(h.events.map((_, i) => i + 1));
    expect(h.events[0]).toMatchObject({
      type: 'assist-started',
      source: 'dial',
      tracks: ['customer', 'agent'],
      callSid: CALL,
      businessId: BUSINESS,
    });
    expect(h.events.at(-1)).toMatchObject({ type: 'assist-ended', reason: 'stop' });
    expect(ofType(h.events, 'assist-ended')).toHaveLength(1);
    expect(h.enqueued).toEqual([CALL]);
    expect(h.sessions.live()).toBe(0);
  });

  it('ticks the coach about once a second of stream audio', async () => {
    const h = harness({ inbound: [], outbound: [] });
    const call = await h.start();
    await h.play(call, 0, 3500, {});
    await call.end('stop');
    expect(h.coach.ticks).toEqual([1000, 2000, 3000]);
  });

  it('end drains: words still being said when the stream stops are heard, stored and coached', async () => {
    const h = harness({ inbound: ['how much is the price'], outbound: [] });
    const call = await h.start();
    // The stream stops mid-sentence: no silence window ever ends the turn.
    await h.play(call, 0, 1200, { inbound: between(200, 1200) });
    expect(ofType(h.events, 'assist-transcript').filter((t) => t.final)).toEqual([]);
    await call.end('stop');
    expect(
      ofType(h.events, 'assist-transcript')
        .filter((t) => t.final)
        .map((t) => t.text),
    ).toEqual(['how much is the price']);
    expect(h.turns.map((t) => t.text)).toEqual(['how much is the price']);
    expect(ofType(h.events, 'assist-suggestion')).toHaveLength(1);
    const types = h.events.map((e) => e.type);
    expect(types.indexOf('assist-suggestion')).toBeLessThan(types.indexOf('assist-ended'));
  });

  it('end is idempotent: a second call (or a close) publishes nothing more', async () => {
    const h = harness({ inbound: [], outbound: [] });
    const call = await h.start();
    await h.play(call, 0, 200, {});
    await Promise.all([call.end('stop'), call.end('closed')]);
    await call.end('idle');
    await h.sessions.close();
    expect(ofType(h.events, 'assist-ended').map((e) => e.reason)).toEqual(['stop']);
    expect(h.enqueued).toEqual([CALL]);
    // Audio after the end is ignored, never thrown.
    expect(() => call.onAudio('inbound', LOUD)).not.toThrow();
  });

  it('a recognizer that fails: assist says unavailable once, retries after the backoff, says available when words come again', async () => {
    const h = harness({ inbound: ['hello there', 'my sink is blocked'], outbound: [] });
    h.stt.down = true;
    const call = await h.start();
    await h.play(call, 0, 1500, { inbound: between(200, 800) });
    let status = ofType(h.events, 'assist-status');
    expect(status.map((s) => [s.state, s.reason])).toEqual([
      ['unavailable', 'speech recognition unavailable (customer)'],
    ]);
    // More speech while down: still one notice; the side waits for its retry (2 s after the failure).
    await h.play(call, 1500, 2000, { inbound: between(1500, 1900) });
    expect(ofType(h.events, 'assist-status')).toHaveLength(1);
    h.stt.down = false;
    await h.play(call, 2000, 5000, { inbound: between(3500, 4300) });
    status = ofType(h.events, 'assist-status');
    expect(status.map((s) => s.state)).toEqual(['unavailable', 'available']);
    expect(
      ofType(h.events, 'assist-transcript')
        .filter((t) => t.final)
        .map((t) => t.text),
    ).toEqual(['hello there']);
    await call.end('stop');
  });

  it('with no recognizer configured, assist says it cannot listen and still starts and ends cleanly', async () => {
    const h = harness({ inbound: [], outbound: [] });
    const sessions = createAssistSessions({
      stt: [],
      vad: { createStream: () => new EnergyVad() },
      bus: { publish: async (e) => void h.events.push(e) },
      calls: { appendTurn: async () => undefined },
      suggestions: { record: async () => true },
      businessProfile: async () => profile,
      searchKnowledge: async () => [],
      cardIntervalMs: 4000,
      coachFor: () => ({ coach: new FakeCoach(), gate: new OnceGate() }),
      log: quietLog,
      clock: h.clock,
    });
    const call = await sessions.start({
      callSid: CALL,
      businessId: BUSINESS,
      streamSid: asStreamSid('MZ1'),
      tracks: ['inbound', 'outbound'],
      source: 'transfer',
      log: quietLog,
    });
    call.onAudio('inbound', LOUD);
    await call.end('stop');
    expect(h.events.map((e) => e.type)).toEqual(['assist-started', 'assist-status', 'assist-ended']);
    expect(ofType(h.events, 'assist-status')[0]).toMatchObject({ state: 'unavailable' });
  });

  it('a bus, store and coach that all throw never throw out of onAudio or end, and are logged without the words', async () => {
    const h = harness(
      { inbound: ['how much does it cost'], outbound: ['hello'] },
      { busThrows: true, storeThrows: true },
    );
    const call = await h.start();
    await h.play(call, 0, 2000, { inbound: between(200, 1000), outbound: between(100, 600) });
    h.coach.throws = true;
    await expect(h.play(call, 2000, 3500, { inbound: between(2200, 3000) })).resolves.toBeUndefined();
    await expect(call.end('stop')).resolves.toBeUndefined();
    expect(h.events).toEqual([]);
    const logged = JSON.stringify(h.warnings);
    expect(logged).toContain('bus down');
    expect(logged).toContain('database down');
    expect(logged).not.toContain('cost');
    // One line per kind of failure, not one per event.
    expect(h.warnings.filter((w) => JSON.stringify(w).includes('bus down'))).toHaveLength(1);
    expect(h.enqueued).toEqual([CALL]);
  });

  it('a bus that never answers holds up neither the audio nor the end (bounded by the drain time)', async () => {
    const h = harness({ inbound: ['how much does it cost'], outbound: [] }, { busHangs: true });
    const call = await h.start();
    await h.play(call, 0, 2000, { inbound: between(200, 1000) });
    expect(h.turns.map((t) => t.text)).toEqual(['how much does it cost']);
    let ended = false;
    const ending = call.end('stop').then(() => (ended = true));
    for (let i = 0; i < 100 && !ended; i++) {
      await new Promise((r) => setImmediate(r));
      h.clock.advance(100);
    }
    await ending;
    expect(ended).toBe(true);
    expect(h.enqueued).toEqual([CALL]);
  });

  it('refuses to start for a business that is gone', async () => {
    const h = harness({ inbound: [], outbound: [] });
    const sessions = createAssistSessions({
      stt: [],
      vad: { createStream: () => new EnergyVad() },
      bus: { publish: async () => {} },
      calls: { appendTurn: async () => undefined },
      suggestions: { record: async () => true },
      businessProfile: async () => undefined,
      searchKnowledge: async () => [],
      cardIntervalMs: 4000,
      coachFor: () => ({ coach: new FakeCoach(), gate: new OnceGate() }),
      log: quietLog,
      clock: h.clock,
    });
    await expect(
      sessions.start({
        callSid: CALL,
        businessId: BUSINESS,
        streamSid: asStreamSid('MZ1'),
        tracks: ['inbound'],
        source: 'dial',
        log: quietLog,
      }),
    ).rejects.toThrow(/gone/);
    expect(sessions.live()).toBe(0);
  });
});

describe('AssistSession interim hearing', () => {
  it('keeps one interim hearing in flight per side: words that came meanwhile are heard once, only the newest', async () => {
    const clock = new FakeClock();
    const heard: string[] = [];
    const releases: Array<() => void> = [];
    const coach: AssistCoach = {
      hear: (h) =>
        new Promise((resolve) => {
          heard.push(`${h.final ? 'final' : 'interim'}:${h.text}`);
          releases.push(() => resolve([]));
        }),
      tick: () => [],
      sentiment: () => undefined,
    };
    let handlers: Parameters<ListenerFactory>[1] | undefined;
    const session = new AssistSession({
      start: {
        callSid: CALL,
        businessId: BUSINESS,
        streamSid: asStreamSid('MZ1'),
        tracks: ['inbound'],
        source: 'dial',
        log: quietLog,
      },
      coach,
      gate: new OnceGate(),
      listen: (_track, h) => {
        handlers = h;
        return { push() {}, drain: async () => {}, close() {} };
      },
      bus: { publish: async () => {} },
      calls: { appendTurn: async () => undefined },
      suggestions: { record: async () => true },
      clock,
    });
    handlers!.onEvent({ type: 'speech-start', atMs: 0 });
    handlers!.onEvent({ type: 'interim', text: 'how' });
    handlers!.onEvent({ type: 'interim', text: 'how much' });
    handlers!.onEvent({ type: 'interim', text: 'how much does' });
    expect(heard).toEqual(['interim:how']);
    releases.shift()!();
    await new Promise((r) => setImmediate(r));
    expect(heard).toEqual(['interim:how', 'interim:how much does']);
    // A final is heard at once, even with an interim hearing in flight.
    handlers!.onEvent({
      type: 'utterance',
      startMs: 0,
      text: 'how much does it cost',
      durationMs: 900,
      endOfSpeechAt: 0,
      sttFinalAt: 0,
      endpointingMs: 500,
    });
    expect(heard.at(-1)).toBe('final:how much does it cost');
    for (const r of releases) r();
    await session.end('stop');
  });
});
