import { describe, expect, it } from 'vitest';
import type { BrainOutput, TurnInput } from '../../src/agent/brain.js';
import { EventChannel } from '../../src/providers/stt/event-channel.js';
import type { SpeechToText, SttEvent } from '../../src/providers/stt/stt.js';
import { VoiceHarness } from '../support/voice-harness.js';

const say = (...texts: string[]): BrainOutput[] => texts.map((text) => ({ type: 'say', text }));

/** Greets with a short line; answers every caller turn with `answer`. */
const simpleBrain =
  (answer: string[], greeting = ['Hello there.']) =>
  (turn: TurnInput): BrainOutput[] =>
    turn.kind === 'call-started' ? say(...greeting) : turn.kind === 'speech' ? say(...answer) : say('Sorry?');

async function afterGreeting(h: VoiceHarness) {
  h.session.start();
  await h.runUntil(() => h.turns.some((t) => t.speaker === 'agent'));
  await h.run(200);
}

/** A cloud recognizer that takes every frame and never answers (a stalled socket). */
const silentCloud = (): SpeechToText => ({
  name: 'cloud',
  sampleRate: 8000,
  capabilities: { turnEnd: 'engine', interimResults: true },
  stream: (o) => {
    const out = new EventChannel<SttEvent>();
    o.signal.addEventListener('abort', () => out.discard(), { once: true });
    return {
      track: o.track,
      push: () => undefined,
      flush: () => undefined,
      expect: () => undefined,
      close: () => out.discard(),
      [Symbol.asyncIterator]: () => out[Symbol.asyncIterator](),
    };
  },
  close: async () => undefined,
});

describe('CallSession when its recognizer stalls', () => {
  it('a caller kept waiting by a stalled recognizer hears "One moment." at the stall time, then the answer from the next one', async () => {
    const h = new VoiceHarness({
      brain: simpleBrain(['We open at eight.']),
      transcripts: ['what are your hours'],
      sttBefore: [silentCloud()],
      stallMs: 1000,
    });
    await afterGreeting(h);
    h.callerSpeaks(800);
    await h.runUntil(() => h.turns.filter((t) => t.speaker === 'agent').length === 3);
    const switched = h.events.find((e) => e.type === 'provider-switched');
    expect(switched).toMatchObject({ kind: 'stt', from: 'cloud', to: 'scripted' });
    expect(h.turns.filter((t) => t.speaker !== 'caller' || t.text).map((t) => t.text)).toEqual([
      'Hello there.',
      'what are your hours',
      'One moment.',
      'We open at eight.',
    ]);
    // "One moment." came at the stall time, counted from where the caller stopped.
    const moment = h.turns.find((t) => t.text === 'One moment.')!;
    const caller = h.turns.find((t) => t.speaker === 'caller')!;
    expect(moment.startMs - caller.endMs).toBeGreaterThanOrEqual(950); // VAD windows: within a frame or two
    expect(moment.startMs - caller.endMs).toBeLessThan(1200);
  });
});

describe('CallSession turn-taking', () => {
  it('answers a caller turn once the silence window has passed, and stores both turns', async () => {
    const h = new VoiceHarness({
      brain: simpleBrain(['We open at eight.']),
      transcripts: ['what are your hours'],
    });
    await afterGreeting(h);
    h.callerSpeaks(800);
    await h.run(800);
    const before = h.mediaSent();
    await h.run(400); // within the 500 ms silence window: no answer yet
    expect(h.mediaSent()).toBe(before);
    await h.runUntil(() => h.turns.filter((t) => t.speaker === 'agent').length === 2);
    expect(h.brain.inputs.at(-1)).toEqual({ kind: 'speech', text: 'what are your hours' });
    const caller = h.turns.find((t) => t.speaker === 'caller');
    expect(caller).toMatchObject({ text: 'what are your hours', interrupted: false });
    expect(caller!.endMs - caller!.startMs).toBeGreaterThanOrEqual(700);
    expect(h.turns.at(-1)).toMatchObject({ speaker: 'agent', text: 'We open at eight.', interrupted: false });
  });

  it('records per-stage latency from the end of speech, first frame after first audio after first text', async () => {
    const h = new VoiceHarness({
      brain: simpleBrain(['We open at eight.']),
      transcripts: ['hours'],
      brainDelayMs: 120,
    });
    await afterGreeting(h);
    h.callerSpeaks(600);
    await h.runUntil(() => h.turns.filter((t) => t.speaker === 'agent').length === 2);
    const l = h.turns.at(-1)!.latency!;
    expect(l.endpointingMs).toBeGreaterThanOrEqual(500);
    expect(l.sttFinalMs).toBeGreaterThanOrEqual(l.endpointingMs - 20);
    expect(l.firstTextMs).toBeGreaterThanOrEqual(l.sttFinalMs! + 120);
    expect(l.firstAudioMs).toBeGreaterThanOrEqual(l.firstTextMs!);
    expect(l.firstFrameSentMs).toBeGreaterThanOrEqual(l.firstAudioMs!);
    expect(l.firstFrameSentMs! - l.endpointingMs).toBeLessThan(250);
  });

  it('holds the turn open when the words are plainly unfinished', async () => {
    const h = new VoiceHarness({ brain: simpleBrain(['Got it.']), transcripts: ['my address is'] });
    await afterGreeting(h);
    h.callerSpeaks(800);
    await h.run(800 + 700); // 700 ms of silence: past the 500 ms window
    expect(h.brain.inputs.length).toBe(1); // still only the greeting: held for the rest of the phrase
    await h.runUntil(() => h.brain.inputs.length === 2, 3000);
    expect(h.brain.inputs.at(-1)).toMatchObject({ kind: 'speech', text: 'my address is' });
  });

  it('hangs up after the goodbye has been heard', async () => {
    const h = new VoiceHarness({
      brain: (t) =>
        t.kind === 'call-started'
          ? say('Hi.')
          : [...say('Goodbye now.'), { type: 'end-call', reason: 'caller-goodbye' }],
      transcripts: ['bye'],
    });
    await afterGreeting(h);
    h.callerSpeaks(400);
    await h.runUntil(() => h.hungUp, 5000);
    expect(h.hungUp).toBe(true);
    expect(h.framesPlayed * 20).toBeGreaterThanOrEqual(100 + 200); // both utterances played out (100 ms a word)
  });
});

describe('CallSession barge-in', () => {
  const longAnswer = [
    'We are open Monday to Friday from eight in the morning until six in the evening.',
    'On Saturdays we open from nine until one.',
  ];

  it('caller talking over the agent gets clear within the minimum speech time, and the stored turn keeps only what was heard', async () => {
    const h = new VoiceHarness({ brain: simpleBrain(longAnswer), transcripts: ['hours', 'wait a second'] });
    await afterGreeting(h);
    h.callerSpeaks(500);
    await h.runUntil(() => h.agentAudible);
    await h.run(1000); // the caller hears one second of the answer
    const speechStart = h.clock.now();
    h.callerSpeaks(900);
    await h.runUntil(() => h.clears().length > 0, 2000);
    const reaction = h.clears()[0]! - speechStart;
    // The VAD dates the start of speech from its 32 ms window: up to a window before the sound.
    expect(reaction).toBeGreaterThanOrEqual(300 - 32);
    expect(reaction).toBeLessThanOrEqual(400);
    await h.runUntil(() => h.turns.some((t) => t.interrupted));
    const cut = h.turns.find((t) => t.interrupted)!;
    expect(cut.text).toBe(longAnswer.join(' '));
    // 100 ms per word: about 13 words had played when the clear went out.
    const heardWords = cut.heardText!.split(' ').length;
    expect(heardWords).toBeGreaterThanOrEqual(11);
    expect(heardWords).toBeLessThanOrEqual(16);
    // The barge-in's own words become the next turn.
    await h.runUntil(() => h.brain.inputs.length === 3);
    expect(h.brain.inputs.at(-1)).toMatchObject({ kind: 'speech', text: 'wait a second' });
  });

  it('a cough or click shorter than the minimum does not interrupt', async () => {
    const h = new VoiceHarness({ brain: simpleBrain(longAnswer), transcripts: ['hours'] });
    await afterGreeting(h);
    h.callerSpeaks(500);
    await h.runUntil(() => h.agentAudible);
    await h.run(400);
    h.callerSpeaks(120);
    await h.run(1500);
    expect(h.clears()).toEqual([]);
  });

  it('a DTMF tone while the agent speaks does not interrupt', async () => {
    const h = new VoiceHarness({ brain: simpleBrain(longAnswer), transcripts: ['hours'] });
    await afterGreeting(h);
    h.callerSpeaks(500);
    await h.runUntil(() => h.agentAudible);
    await h.run(300);
    h.session.onDtmf('5');
    h.callerTone(400, [770, 1336]); // the in-band tone Twilio also passes through
    await h.run(500);
    expect(h.clears()).toEqual([]);
  });

  it('interrupt before first frame keeps nothing: the caller going on drops the unspoken answer', async () => {
    const h = new VoiceHarness({
      brain: simpleBrain(['Sure, one moment.']),
      transcripts: ['i need', 'a plumber tomorrow'],
      brainDelayMs: 1500,
    });
    await afterGreeting(h);
    h.callerSpeaks(500);
    await h.run(500 + 600); // turn ended, brain thinking (1.5 s)
    h.callerSpeaks(600);
    await h.runUntil(() => h.brain.inputs.length === 3, 5000);
    expect(h.brain.inputs.at(-1)).toMatchObject({ kind: 'speech', text: 'i need a plumber tomorrow' });
    await h.runUntil(() => h.turns.filter((t) => t.speaker === 'agent').length === 2, 5000);
    // No agent turn was stored for the abandoned answer: nothing of it was heard.
    expect(h.turns.filter((t) => t.speaker === 'agent').map((t) => t.text)).toEqual([
      'Hello there.',
      'Sure, one moment.',
    ]);
  });

  it('clear echoes pending marks: those echoes do not count as heard audio', async () => {
    const h = new VoiceHarness({
      brain: simpleBrain(longAnswer),
      transcripts: ['hours', 'stop'],
      leadMs: 2000,
    });
    await afterGreeting(h);
    h.callerSpeaks(500);
    await h.runUntil(() => h.agentAudible);
    await h.run(300); // with a 2 s lead, marks for a whole sentence are pending at Twilio
    h.callerSpeaks(600);
    await h.runUntil(() => h.turns.some((t) => t.interrupted), 3000);
    const cut = h.turns.find((t) => t.interrupted)!;
    // ~0.6 s had been heard (0.3 s + 0.3 s of barge-in detection), not the 2 s that was sent.
    expect(cut.heardText!.split(' ').length).toBeLessThanOrEqual(8);
  });
});

describe('CallSession keypad input', () => {
  it('collects digits until # and hands them to the brain as one input', async () => {
    const h = new VoiceHarness({
      brain: (t) => (t.kind === 'call-started' ? say('Key in your number.') : say('Thanks.')),
    });
    await afterGreeting(h);
    for (const d of '5551234567#') {
      h.session.onDtmf(d);
      await h.run(100);
    }
    await h.runUntil(() => h.brain.inputs.length === 2, 2000);
    expect(h.brain.inputs[1]).toEqual({ kind: 'dtmf', digits: '5551234567' });
  });

  it('takes the digits so far after a pause', async () => {
    const h = new VoiceHarness({
      brain: (t) => (t.kind === 'call-started' ? say('Press a key.') : say('Okay.')),
    });
    await afterGreeting(h);
    h.session.onDtmf('2');
    await h.run(2900);
    expect(h.brain.inputs.length).toBe(1);
    await h.runUntil(() => h.brain.inputs.length === 2, 1000);
    expect(h.brain.inputs[1]).toEqual({ kind: 'dtmf', digits: '2' });
  });
});

describe('CallSession end', () => {
  it('ending mid-answer stores the cut turn and the summary', async () => {
    const h = new VoiceHarness({
      brain: simpleBrain(['One two three four five six seven eight nine ten.']),
      transcripts: ['count'],
    });
    await afterGreeting(h);
    h.callerSpeaks(400);
    await h.runUntil(() => h.agentAudible);
    await h.run(300);
    await h.end('stop');
    expect(h.finished).toBe(true);
    const last = h.turns.at(-1)!;
    expect(last).toMatchObject({ speaker: 'agent', interrupted: true });
  });
});

describe('CallSession backchannels', () => {
  it('"uh-huh" over the agent neither interrupts nor gets an answer of its own', async () => {
    const h = new VoiceHarness({
      brain: simpleBrain([
        'We are open Monday to Friday from eight in the morning until six in the evening, and on Saturday mornings.',
      ]),
      transcripts: ['hours', 'uh huh'],
    });
    await afterGreeting(h);
    h.callerSpeaks(500);
    await h.runUntil(() => h.agentAudible);
    await h.run(300);
    h.callerSpeaks(400); // long enough to be speech; the scripted partial is "uh huh"
    await h.runUntil(() => !h.agentAudible, 5000);
    await h.run(1000);
    expect(h.clears()).toEqual([]);
    expect(h.brain.inputs.map((i) => i.kind)).toEqual(['call-started', 'speech']);
  });
});

describe('CallSession hand-over', () => {
  it('transfers after the hand-over line has been heard', async () => {
    const h = new VoiceHarness({
      brain: (t) =>
        t.kind === 'call-started'
          ? say('Hi.')
          : [
              ...say('Connecting you now.'),
              { type: 'transfer', summary: 'wants a person', reason: 'caller-request' },
            ],
      transcripts: ['a person please'],
    });
    const transfers: string[] = [];
    h.transferResult = async (_to, summary) => {
      transfers.push(summary);
      return true;
    };
    await afterGreeting(h);
    h.callerSpeaks(500);
    await h.runUntil(() => transfers.length > 0, 5000);
    expect(transfers).toEqual(['wants a person']);
    expect(h.turns.at(-1)).toMatchObject({
      speaker: 'agent',
      text: 'Connecting you now.',
      interrupted: false,
    });
  });

  it('tells the caller when the transfer could not be made, and stays on the line', async () => {
    const h = new VoiceHarness({
      brain: (t) =>
        t.kind === 'call-started'
          ? say('Hi.')
          : [...say('Connecting you.'), { type: 'transfer', summary: 's', reason: 'caller-request' }],
      transcripts: ['a person'],
    });
    h.transferResult = async () => false;
    await afterGreeting(h);
    h.callerSpeaks(500);
    await h.runUntil(() => h.turns.filter((t) => t.speaker === 'agent').length === 3, 8000);
    expect(h.turns.at(-1)?.text).toMatch(/couldn't put you through/);
    expect(h.hungUp).toBe(false);
  });
});

describe('CallSession conversation context', () => {
  it("gives the brain the caller's current words as input, not also in the history", async () => {
    const seen: string[][] = [];
    const h = new VoiceHarness({
      brain: (t, ctx) => {
        seen.push(ctx.transcript.map((e) => `${e.speaker}: ${e.text}`));
        return t.kind === 'call-started' ? say('Hi.') : say('Okay.');
      },
      transcripts: ['my sink is leaking'],
    });
    await afterGreeting(h);
    h.callerSpeaks(600);
    await h.runUntil(() => seen.length === 2, 5000);
    expect(seen[1]).toEqual(['agent: Hi.']);
  });
});

describe('CallSession faults and shutdown', () => {
  it('a recognizer that throws while closing does not stop the end: summary and recording are still written', async () => {
    const h = new VoiceHarness({ brain: simpleBrain(['Sure.']), transcripts: ['hello'] });
    const open = h.stt.stream.bind(h.stt);
    h.stt.stream = (options) => {
      const s = open(options);
      return {
        track: s.track,
        push: (pcm) => s.push(pcm),
        flush: () => s.flush(),
        expect: (next) => s.expect(next),
        close: () => {
          s.close();
          throw new Error('native recognizer crashed on close');
        },
        [Symbol.asyncIterator]: () => s[Symbol.asyncIterator](),
      };
    };
    await afterGreeting(h);
    h.callerSpeaks(600);
    await h.run(300); // mid-utterance: the recognizer is open
    await expect(h.end('stop')).resolves.toBeUndefined();
    expect(h.finished).toBe(true);
  });

  it('at shutdown the current answer is cut, the goodbye is heard in full, then the call can end', async () => {
    const h = new VoiceHarness({
      brain: simpleBrain(['One two three four five six seven eight nine ten eleven twelve.']),
      transcripts: ['count'],
    });
    await afterGreeting(h);
    h.callerSpeaks(400);
    await h.runUntil(() => h.agentAudible);
    await h.run(200);
    let done = false;
    const goodbye = h.session
      .sayGoodbye('We have to hang up now. Goodbye.', 10_000)
      .then(() => (done = true));
    const took = await h.runUntil(() => done, 10_000);
    await goodbye;
    expect(took).toBeLessThan(5000);
    expect(h.clears().length).toBeGreaterThanOrEqual(1);
    const agentTurns = h.turns.filter((t) => t.speaker === 'agent');
    expect(agentTurns.at(-2)).toMatchObject({ interrupted: true });
    expect(agentTurns.at(-1)).toMatchObject({ text: 'We have to hang up now. Goodbye.', interrupted: false });
    await h.end('shutdown');
    expect(h.finished).toBe(true);
  });

  it('a goodbye that cannot play (no mark echoes) gives up after its limit', async () => {
    const h = new VoiceHarness({ brain: simpleBrain(['Sure.']), transcripts: [] });
    await afterGreeting(h);
    // Twilio stops echoing marks (the line is gone): the goodbye never reports as played.
    h.session.onMarkEcho = () => undefined;
    let done = false;
    const goodbye = h.session.sayGoodbye('Goodbye.', 2000).then(() => (done = true));
    const took = await h.runUntil(() => done, 10_000);
    await goodbye;
    expect(took).toBeGreaterThanOrEqual(2000);
    expect(took).toBeLessThan(2500);
  });
});

/** A greeting of about 3 s (100 ms a word). */
const LONG_GREETING = [
  'Thanks for calling Acme Plumbing, this is the virtual receptionist.',
  'If water is leaking right now, say emergency or press one, and we will get someone out to you fast.',
];
const LONG_ANSWER = [
  'We are open Monday to Friday from eight in the morning until six in the evening.',
  'On Saturdays we open from nine until one, and on Sundays we are closed except for emergencies.',
];

/** Starts the call and lets the greeting play for `ms`. */
async function intoGreeting(h: VoiceHarness, ms: number) {
  h.session.start();
  await h.runUntil(() => h.agentAudible);
  await h.run(ms);
}

/** Greets, takes "hours" and lets the long answer play for `ms`. */
async function intoAnswer(h: VoiceHarness, ms: number) {
  await afterGreeting(h);
  h.callerSpeaks(500);
  await h.runUntil(() => h.agentAudible);
  await h.run(ms);
}

const agentTurns = (h: VoiceHarness) => h.turns.filter((t) => t.speaker === 'agent');

describe('CallSession backchannels over the agent', () => {
  for (const [what, words, ms] of [
    ['uh-huh', 'uh-huh', 400],
    ['okay', 'okay', 500],
    ['mm-hmm, yeah', 'mm-hmm, yeah', 700],
  ] as const) {
    it(`a backchannel over the greeting does not cut it ("${what}", words heard as they are said)`, async () => {
      const h = new VoiceHarness({ brain: simpleBrain(['Sure.'], [...LONG_GREETING]), transcripts: [words] });
      await intoGreeting(h, 500);
      h.callerSpeaks(ms);
      await h.runUntil(() => agentTurns(h).length === 1, 8000);
      await h.run(1000);
      expect(h.clears()).toEqual([]);
      expect(agentTurns(h)[0]).toMatchObject({ text: LONG_GREETING.join(' '), interrupted: false });
      expect(h.brain.inputs.map((i) => i.kind)).toEqual(['call-started']);
    });
  }

  it('a backchannel over the greeting does not cut it (no words until the final, as PocketSphinx often is)', async () => {
    const h = new VoiceHarness({
      brain: simpleBrain(['Sure.'], [...LONG_GREETING]),
      transcripts: ['uh huh'],
      interimAfterSamples: Infinity,
    });
    await intoGreeting(h, 500);
    h.callerSpeaks(600);
    await h.runUntil(() => agentTurns(h).length === 1, 8000);
    await h.run(1000);
    expect(h.clears()).toEqual([]);
    expect(agentTurns(h)[0]).toMatchObject({ interrupted: false });
    expect(h.brain.inputs.map((i) => i.kind)).toEqual(['call-started']);
  });

  it('speech over the agent with no words yet does not clear before 800 ms (unconfirmedInterruptMs)', async () => {
    const h = new VoiceHarness({
      brain: simpleBrain(LONG_ANSWER),
      transcripts: ['hours', ''],
      interimAfterSamples: Infinity,
    });
    await intoAnswer(h, 600);
    const speechStart = h.clock.now();
    h.callerSpeaks(2000);
    await h.run(760);
    expect(h.clears()).toEqual([]);
    await h.runUntil(() => h.clears().length > 0, 1000);
    // The VAD reports speech a window or two late: the pause comes within a few frames of 800 ms.
    expect(h.clears()[0]! - speechStart).toBeGreaterThanOrEqual(800);
    expect(h.clears()[0]! - speechStart).toBeLessThan(900);
    expect(h.events.some((e) => e.type === 'agent-turn-paused')).toBe(true);
  });

  it('a false interruption resumes from the heard position: the caller hears the whole answer, nothing lost and little repeated', async () => {
    // The same answer played through with nobody talking over it: how much audio it is.
    const quiet = new VoiceHarness({ brain: simpleBrain(LONG_ANSWER), transcripts: ['hours'] });
    await afterGreeting(quiet);
    const greetingFrames = quiet.framesPlayed;
    quiet.callerSpeaks(500);
    await quiet.runUntil(() => agentTurns(quiet).length === 2, 10_000);
    const answerFrames = quiet.framesPlayed - greetingFrames;

    const h = new VoiceHarness({
      brain: simpleBrain(LONG_ANSWER),
      transcripts: ['hours', 'mm hmm yeah'],
      interimAfterSamples: Infinity,
    });
    await afterGreeting(h);
    const before = h.framesPlayed;
    h.callerSpeaks(500);
    await h.runUntil(() => h.agentAudible);
    await h.run(1000);
    h.callerSpeaks(1100); // too long to wait for the words: the agent pauses at 800 ms
    await h.runUntil(() => agentTurns(h).length === 2, 15_000);
    const kinds = h.events.map((e) => e.type);
    expect(kinds).toContain('agent-turn-paused');
    expect(kinds.indexOf('agent-turn-resumed')).toBeGreaterThan(kinds.indexOf('agent-turn-paused'));
    expect(agentTurns(h)[1]).toMatchObject({ text: LONG_ANSWER.join(' '), interrupted: false });
    // Every frame of the answer was heard once; at most a few frames around the pause twice.
    const heard = h.framesPlayed - before;
    expect(heard).toBeGreaterThanOrEqual(answerFrames);
    expect(heard).toBeLessThanOrEqual(answerFrames + 5);
    // The backchannel was not answered.
    expect(h.brain.inputs.map((i) => i.kind)).toEqual(['call-started', 'speech']);
    // The recording holds the agent's audio as heard: once, not the kept part twice.
    await quiet.end('done');
    await h.end('done');
    const voiced = (r: { channels: [Int16Array, Int16Array] }) => r.channels[1].filter((v) => v !== 0).length;
    const extra = voiced(h.recordings[0]!) - voiced(quiet.recordings[0]!);
    expect(extra).toBeGreaterThanOrEqual(0);
    expect(extra).toBeLessThanOrEqual(5 * 160);
  });

  it('a paused turn whose words never come (the recognizer lost them) plays on, the caller is not left in silence', async () => {
    const h = new VoiceHarness({
      brain: simpleBrain(LONG_ANSWER),
      transcripts: ['hours', 'lost'],
      interimAfterSamples: Infinity,
    });
    const open = h.stt.stream.bind(h.stt);
    let flushes = 0;
    h.stt.stream = (o) => {
      const s = open(o);
      return {
        track: s.track,
        push: (pcm) => s.push(pcm),
        // The second utterance's result never comes.
        flush: () => void (++flushes === 2 ? undefined : s.flush()),
        expect: (next) => s.expect(next),
        close: () => s.close(),
        [Symbol.asyncIterator]: () => s[Symbol.asyncIterator](),
      };
    };
    await intoAnswer(h, 800);
    h.callerSpeaks(1000);
    await h.runUntil(() => h.events.some((e) => e.type === 'agent-turn-paused'), 2000);
    const pausedAt = h.clock.now();
    await h.runUntil(() => h.events.some((e) => e.type === 'agent-turn-resumed'), 10_000);
    // Resumed PAUSE_MAX_AFTER_SPEECH_MS after the speech ended (and its 500 ms silence window).
    expect(h.clock.now() - pausedAt).toBeGreaterThanOrEqual(4000);
    expect(h.clock.now() - pausedAt).toBeLessThan(6000);
    await h.runUntil(() => agentTurns(h).length === 2, 15_000);
    expect(agentTurns(h)[1]).toMatchObject({ interrupted: false });
  });

  it('a false interruption by noise (nothing recognised) resumes too, and is not answered', async () => {
    const h = new VoiceHarness({
      brain: simpleBrain(LONG_ANSWER),
      transcripts: ['hours', ''],
      interimAfterSamples: Infinity,
    });
    await intoAnswer(h, 800);
    h.callerSpeaks(1000);
    await h.runUntil(() => agentTurns(h).length === 2, 15_000);
    expect(h.events.some((e) => e.type === 'agent-turn-resumed')).toBe(true);
    expect(agentTurns(h)[1]).toMatchObject({ interrupted: false });
    expect(h.brain.inputs.map((i) => i.kind)).toEqual(['call-started', 'speech']);
  });

  it('a real interruption clears within the confirm window (the words are heard as they are said)', async () => {
    const h = new VoiceHarness({
      brain: simpleBrain(LONG_ANSWER),
      transcripts: ['hours', 'wait I have a question'],
    });
    await intoAnswer(h, 1000);
    const speechStart = h.clock.now();
    h.callerSpeaks(1000);
    await h.runUntil(() => h.clears().length > 0, 2000);
    expect(h.clears()[0]! - speechStart).toBeLessThanOrEqual(400);
    await h.runUntil(() => h.brain.inputs.length === 3, 5000);
    expect(h.brain.inputs.at(-1)).toMatchObject({ kind: 'speech', text: 'wait I have a question' });
    expect(agentTurns(h)[1]).toMatchObject({ interrupted: true });
    expect(h.events.some((e) => e.type === 'agent-turn-resumed')).toBe(false);
  });

  it('words heard before the minimum speech stop the agent when it is reached, though the caller paused after a word', async () => {
    const h = new VoiceHarness({
      brain: simpleBrain(LONG_ANSWER),
      transcripts: ['hours', "stop that's wrong"],
    });
    await intoAnswer(h, 1000);
    const speechStart = h.clock.now();
    h.callerSpeaks(260); // "stop,"
    h.callerSilent(300);
    h.callerSpeaks(500); // "that's wrong"
    await h.runUntil(() => h.clears().length > 0, 2000);
    expect(h.clears()[0]! - speechStart).toBeLessThanOrEqual(400);
  });

  it('a garbage word that stopped the agent, then a backchannel final: the agent goes on and nothing is answered', async () => {
    const h = new VoiceHarness({
      brain: simpleBrain(LONG_ANSWER),
      transcripts: ['hours', 'okay'],
      interimFor: { okay: 'oak' }, // PocketSphinx's words so far for "okay"
    });
    await intoAnswer(h, 1000);
    h.callerSpeaks(500);
    await h.runUntil(() => agentTurns(h).length === 2, 15_000);
    const kinds = h.events.map((e) => e.type);
    expect(kinds).toContain('agent-turn-paused');
    expect(kinds).toContain('agent-turn-resumed');
    expect(agentTurns(h)[1]).toMatchObject({ text: LONG_ANSWER.join(' '), interrupted: false });
    expect(h.brain.inputs.map((i) => i.kind)).toEqual(['call-started', 'speech']);
  });

  it('a few misheard words over the agent whose other reading is "uh huh" are a backchannel: resumed, not answered', async () => {
    const h = new VoiceHarness({
      brain: simpleBrain(LONG_ANSWER),
      transcripts: ['hours', 'are on'],
      alternatives: { 'are on': ['uh huh', 'are'] },
    });
    await intoAnswer(h, 1000);
    h.callerSpeaks(500);
    await h.runUntil(() => agentTurns(h).length === 2, 15_000);
    expect(agentTurns(h)[1]).toMatchObject({ interrupted: false });
    expect(h.brain.inputs.map((i) => i.kind)).toEqual(['call-started', 'speech']);
  });

  it('a real sentence over the agent is answered though one of its other readings is "okay"', async () => {
    const h = new VoiceHarness({
      brain: simpleBrain(LONG_ANSWER),
      transcripts: ['hours', 'how much is a drain cleaning'],
      alternatives: { 'how much is a drain cleaning': ['okay'] },
    });
    await intoAnswer(h, 1000);
    h.callerSpeaks(900);
    await h.runUntil(() => h.brain.inputs.length === 3, 5000);
    expect(h.brain.inputs.at(-1)).toMatchObject({ text: 'how much is a drain cleaning' });
    expect(agentTurns(h)[1]).toMatchObject({ interrupted: true });
  });

  it('"okay so" over the agent: a backchannel then a real word cuts it once the real word is heard', async () => {
    const h = new VoiceHarness({
      brain: simpleBrain(LONG_ANSWER),
      transcripts: ['hours', 'okay so how much is it'],
    });
    await intoAnswer(h, 1000);
    h.callerSpeaks(1200);
    await h.runUntil(() => h.brain.inputs.length === 3, 5000);
    expect(h.clears().length).toBe(1);
    expect(agentTurns(h)[1]).toMatchObject({ interrupted: true });
  });

  it('a paused turn whose words turn out real settles as a real interruption, with what was heard before the pause', async () => {
    const h = new VoiceHarness({
      brain: simpleBrain(LONG_ANSWER),
      transcripts: ['hours', "stop that's wrong"],
      interimAfterSamples: Infinity,
    });
    await intoAnswer(h, 1000);
    h.callerSpeaks(1000);
    await h.runUntil(() => h.brain.inputs.length === 3, 5000);
    expect(h.clears().length).toBe(1); // the pause's clear: nothing more to stop
    const cut = agentTurns(h)[1]!;
    expect(cut).toMatchObject({ interrupted: true });
    // ~1 s before the caller spoke + 0.8 s of speech before the pause: about 18 words at 100 ms.
    const words = cut.heardText!.split(' ').length;
    expect(words).toBeGreaterThanOrEqual(15);
    expect(words).toBeLessThanOrEqual(21);
    expect(h.brain.inputs.at(-1)).toMatchObject({ kind: 'speech', text: "stop that's wrong" });
    const interrupted = h.events.find((e) => e.type === 'agent-turn-interrupted');
    expect(interrupted).toMatchObject({ reason: 'barge-in' });
  });

  it('noise or "uh-huh" over the agent that ends as the agent ends is not answered', async () => {
    const h = new VoiceHarness({
      brain: simpleBrain(['We open at eight.']),
      transcripts: ['hours', ''],
      interimAfterSamples: Infinity,
    });
    await afterGreeting(h);
    h.callerSpeaks(500);
    await h.runUntil(() => h.agentAudible);
    await h.run(200);
    h.callerSpeaks(500); // over the end of a 400 ms answer
    await h.run(3000);
    expect(h.brain.inputs.map((i) => i.kind)).toEqual(['call-started', 'speech']);
  });

  it('"yeah" just as a yes/no question ends is its answer, not a backchannel', async () => {
    const h = new VoiceHarness({
      brain: (t) =>
        t.kind === 'call-started'
          ? say('Hi.')
          : t.kind === 'speech' && t.text === 'book it'
            ? [...say('Tuesday at two, is that right?'), { type: 'listen', hint: 'yes-no' }]
            : say('Done.'),
      transcripts: ['book it', 'yeah'],
    });
    await afterGreeting(h);
    h.callerSpeaks(500);
    await h.runUntil(() => h.agentAudible);
    await h.run(350); // the question is 500 ms: "yeah" starts just before it ends
    h.callerSpeaks(400);
    await h.runUntil(() => h.brain.inputs.length === 3, 5000);
    expect(h.brain.inputs.at(-1)).toMatchObject({ kind: 'speech', text: 'yeah' });
  });
});

describe('CallSession and the recognizer', () => {
  const asks = (hint: BrainOutput[]) => (t: TurnInput) =>
    t.kind === 'call-started' ? [...say('What is your name?'), ...hint] : say('Thanks.');

  it("the hint of the brain's listen reaches the recognizer stream's expect()", async () => {
    let n = 0;
    const h = new VoiceHarness({
      brain: (t) => {
        if (t.kind === 'call-started')
          return [...say('What is your name?'), { type: 'listen', hint: 'name' }];
        n++;
        if (n === 1) return [...say('And your number?'), { type: 'listen', expect: 'digits' }];
        return say('Thanks.');
      },
      transcripts: ['john smith', 'five five five', 'ok'],
    });
    await afterGreeting(h);
    h.callerSpeaks(600); // the stream opens with this utterance: it decodes with the names model
    await h.runUntil(() => h.brain.inputs.length === 2, 5000);
    await h.runUntil(() => agentTurns(h).length === 2, 5000);
    h.callerSpeaks(600);
    await h.runUntil(() => agentTurns(h).length === 3, 5000);
    expect(h.stt.streams).toHaveLength(1);
    const expected = (h.stt.streams[0] as unknown as { expected: string[] }).expected;
    // A keypad listen expects a number said aloud too; a turn with no hint goes back to the open model.
    expect(expected).toEqual(['name', 'phone', 'open']);
  });

  it('a new stream after failover gets the current expectation', async () => {
    const cloudExpected: string[] = [];
    const cloud = silentCloud();
    const open = cloud.stream.bind(cloud);
    cloud.stream = (o) => ({ ...open(o), expect: (next) => void cloudExpected.push(next) });
    const h = new VoiceHarness({
      brain: asks([{ type: 'listen', hint: 'name' }]),
      transcripts: ['john smith'],
      sttBefore: [cloud],
      stallMs: 1000,
    });
    await afterGreeting(h);
    expect(cloudExpected.at(-1)).toBe('name');
    h.callerSpeaks(600);
    await h.runUntil(() => h.events.some((e) => e.type === 'provider-switched'), 5000);
    await h.runUntil(() => h.brain.inputs.length === 2, 5000);
    const expected = (h.stt.streams[0] as unknown as { expected: string[] }).expected;
    expect(expected[0]).toBe('name');
    expect(h.brain.inputs.at(-1)).toMatchObject({ kind: 'speech', text: 'john smith' });
  });

  it("the recognizer's stream is opened with the business's vocabulary", async () => {
    const h = new VoiceHarness({
      brain: simpleBrain(['Okay.']),
      transcripts: ['hello'],
      vocabulary: 'b-acme',
    });
    const seen: Array<string | undefined> = [];
    const open = h.stt.stream.bind(h.stt);
    h.stt.stream = (o) => {
      seen.push(o.vocabulary);
      return open(o);
    };
    await afterGreeting(h);
    h.callerSpeaks(500);
    await h.runUntil(() => h.brain.inputs.length === 2, 5000);
    expect(seen).toEqual(['b-acme']);
  });

  it('alternatives reach the brain: distinct, not empty, without the text itself', async () => {
    const h = new VoiceHarness({
      brain: simpleBrain(['Okay.']),
      transcripts: ['the toilet will not flush'],
      alternatives: {
        'the toilet will not flush': [
          'the toilet will not flood',
          '',
          'The toilet will not flush',
          'the toilet  will not flood',
          'a toilet will not flush',
        ],
      },
    });
    await afterGreeting(h);
    h.callerSpeaks(700);
    await h.runUntil(() => h.brain.inputs.length === 2, 5000);
    expect(h.brain.inputs.at(-1)).toEqual({
      kind: 'speech',
      text: 'the toilet will not flush',
      alternatives: ['the toilet will not flood', 'a toilet will not flush'],
    });
  });
});

describe('CallSession when the caller hangs up', () => {
  /** Saves the number it hears as a lead, raises an emergency on "flooding"; says something each time. */
  const actingBrain = (t: TurnInput): BrainOutput[] => {
    if (t.kind === 'call-started') return say('Hi, what is your number?');
    if (t.kind === 'dtmf')
      return [{ type: 'lead', fields: { phone: t.digits }, complete: false }, ...say('Got it.')];
    if (t.kind !== 'speech') return say('Sorry?');
    if (/flooding/.test(t.text))
      return [
        { type: 'emergency', category: 'flooding', trigger: 'flooding', summary: t.text },
        ...say('Turn off the water main.'),
      ];
    return [{ type: 'lead', fields: { phone: t.text }, complete: false }, ...say('Thanks, and your name?')];
  };

  it('hanging up right after speaking still transcribes, stores and acts on the last utterance', async () => {
    const h = new VoiceHarness({ brain: actingBrain, transcripts: ['five five five one two three four'] });
    await afterGreeting(h);
    h.callerSpeaks(900);
    await h.run(900); // the caller stops and hangs up at once: no silence window has passed
    const sentBefore = h.wire.length;
    await h.end('socket closed');
    const types = h.events.map((e) => e.type);
    expect(h.events.find((e) => e.type === 'transcript-final')).toMatchObject({
      text: 'five five five one two three four',
    });
    expect(h.events.find((e) => e.type === 'lead')).toMatchObject({
      fields: { phone: 'five five five one two three four' },
    });
    // Stored before the call's end, which comes last; nothing was said to a caller who is gone.
    expect(types.indexOf('lead')).toBeLessThan(types.indexOf('call-ended'));
    expect(types.at(-1)).toBe('call-ended');
    expect(h.turns.at(-1)).toMatchObject({ speaker: 'caller', text: 'five five five one two three four' });
    expect(h.store.summary).toMatchObject({ callerTurns: 1 });
    expect(h.wire.slice(sentBefore).filter((w) => w.kind === 'media')).toEqual([]);
  });

  it('hanging up in the silence after speaking (the turn not yet ended) still raises the emergency', async () => {
    const h = new VoiceHarness({ brain: actingBrain, transcripts: ['the basement is flooding'] });
    await afterGreeting(h);
    h.callerSpeaks(900);
    await h.run(900 + 300); // 300 ms into the 500 ms silence window
    await h.end('socket closed');
    expect(h.events.find((e) => e.type === 'emergency')).toMatchObject({ category: 'flooding' });
    expect(h.store.events.some((e) => e.type === 'emergency')).toBe(true);
  });

  it('hanging up while the agent answers: the caller words over it are still acted on', async () => {
    const h = new VoiceHarness({ brain: actingBrain, transcripts: ['hello', 'the basement is flooding'] });
    await afterGreeting(h);
    h.callerSpeaks(500);
    await h.runUntil(() => h.agentAudible);
    h.callerSpeaks(600);
    await h.run(600);
    await h.end('socket closed');
    expect(h.events.find((e) => e.type === 'emergency')).toMatchObject({ category: 'flooding' });
  });

  it('keys pressed just before hanging up are acted on too', async () => {
    const h = new VoiceHarness({ brain: actingBrain });
    await afterGreeting(h);
    for (const d of '5551234') {
      h.session.onDtmf(d);
      await h.run(100);
    }
    await h.end('socket closed');
    expect(h.events.find((e) => e.type === 'lead')).toMatchObject({ fields: { phone: '5551234' } });
  });

  it('a hang-up with nothing said ends at once, as before', async () => {
    const h = new VoiceHarness({ brain: actingBrain });
    await afterGreeting(h);
    await h.end('socket closed');
    expect(h.brain.inputs.map((i) => i.kind)).toEqual(['call-started']);
    expect(h.finished).toBe(true);
  });
});
