/**
 * Backchannels and real interruptions over the agent, through audio: a call session built as the
 * pipeline builds it (Silero VAD, PocketSphinx with its receptionist model, flite for the agent),
 * a scripted brain with a long greeting and a long answer, and a Twilio-like leg in real time
 * (one 20 ms frame played per tick, marks echoed as their audio finishes, `clear` honoured). The
 * caller is Debian's espeak-ng or festival, never the agent's voice.
 *
 * Over the greeting and over a long answer, the caller says a backchannel ("uh-huh", "okay",
 * "mm-hmm, yeah", "right", "yeah") or a real interruption ("wait, I have a question", "stop,
 * that's wrong", "no no, my number is different"). Prints, per voice and overall: interruptions
 * by backchannels (target 0), backchannels answered (target 0), pauses that resumed, and for real
 * interruptions the time from the caller's speech onset to the clear (target p95 <= 400 ms) and
 * how many were missed. Asserts nothing. Takes about 5 minutes per voice.
 *
 *   npx tsx bench/backchannel.bench.ts [--voices espeak:en-us+m3,festival:kal_diphone] [--repeat 1] [--verbose]
 */
import { parseArgs } from 'node:util';
import type { BrainOutput, TurnInput } from '../src/agent/index.js';
import { mulawToPcm } from '../src/audio/index.js';
import { businessProfileSchema } from '../src/business/index.js';
import type { SpeechToText } from '../src/providers/stt/index.js';
import { createPocketSphinxStt } from '../src/providers/stt/pocketsphinx.js';
import { createFliteTts } from '../src/providers/tts/index.js';
import { SpeechDetector } from '../src/providers/vad/speech-detector.js';
import { SileroVadModel } from '../src/providers/vad/silero.js';
import { espeakCallerAudio, festivalCallerAudio, type CallerAudioSource } from '../src/sim/caller-audio.js';
import { CallSession } from '../src/voice/call-session.js';
import type { CallEventBody } from '../src/voice/events.js';
import type { MediaTransport } from '../src/voice/playout.js';
import { DEFAULT_TURN_TAKING } from '../src/voice/turn-taking.js';

const { values } = parseArgs({
  options: {
    voices: { type: 'string', default: 'espeak:en-us+m3,festival:kal_diphone' },
    repeat: { type: 'string', default: '1' },
    /** Print the recognizer's words so far after each phrase's onset, with their times. */
    verbose: { type: 'boolean', default: false },
  },
});
const VERBOSE = values.verbose;

const GREETING = [
  'Thanks for calling Acme Plumbing, this is the virtual receptionist.',
  'If water is leaking right now, say emergency or press one, and we will send someone out fast.',
  'Otherwise, tell me what you need, and I can help with a repair, a quote, or our hours.',
];
const LONG_ANSWER = [
  'We are open Monday to Friday from eight in the morning until six in the evening.',
  'On Saturdays we open from nine until one, and on Sundays we are closed, except for emergencies.',
  'For an emergency, call any time, day or night, and someone will come out to you.',
];
const QUESTION = 'What are your hours?';
const BACKCHANNELS = ['uh-huh', 'okay', 'mm-hmm, yeah', 'right', 'yeah'];
const REAL = ['wait, I have a question', "stop, that's wrong", 'no no, my number is different'];
/** The caller starts this long after the agent's turn became audible. */
const SPEAK_AFTER_MS = 1500;
const FRAME = 160;
const SILENT = new Uint8Array(FRAME).fill(0xff);

type Context = 'greeting' | 'answer';
interface Trial {
  voice: string;
  context: Context;
  phrase: string;
  real: boolean;
  /** The agent's turn was cut (settled as interrupted). */
  interrupted: boolean;
  paused: boolean;
  resumed: boolean;
  /** Caller turns the brain was asked to answer beyond the scripted question. */
  answered: number;
  /** Caller's speech onset (first loud frame sent) to the first clear, ms. */
  clearMs?: number;
  heard: string[];
  interims: string[];
}

const silentLog = { info() {}, warn() {}, error() {} };

function voiceSource(spec: string): CallerAudioSource {
  const [engine, voice] = spec.split(':');
  if (engine === 'festival') return festivalCallerAudio(voice);
  return espeakCallerAudio(voice);
}

/** Index of the first 20 ms frame loud enough to be speech (TTS clips start with silence). */
function onsetFrame(audio: Uint8Array): number {
  const pcm = mulawToPcm(audio);
  for (let f = 0; f * FRAME < pcm.length; f++) {
    let sum = 0;
    const end = Math.min(pcm.length, (f + 1) * FRAME);
    for (let i = f * FRAME; i < end; i++) sum += pcm[i]! * pcm[i]!;
    if (Math.sqrt(sum / FRAME) > 600) return f;
  }
  return 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

async function trial(
  deps: {
    stt: Awaited<ReturnType<typeof createPocketSphinxStt>>;
    vad: SileroVadModel;
    tts: Awaited<ReturnType<typeof createFliteTts>>;
  },
  voice: string,
  audio: { question: Uint8Array; phrase: Uint8Array },
  context: Context,
  phrase: string,
  real: boolean,
): Promise<Trial> {
  const events: CallEventBody[] = [];
  /** The recognizer's words so far after the phrase's onset, with ms since the onset. */
  const interims: string[] = [];
  /** Each final's other readings (N-best), in order. */
  const readings: string[][] = [];
  const inputs: TurnInput[] = [];
  /** Twilio's side: what is queued to play, in order. */
  const playback: Array<{ kind: 'media' } | { kind: 'mark'; name: string }> = [];
  const clears: number[] = [];
  const ref: { session?: CallSession } = {};
  const echoLeadingMarks = () => {
    while (playback[0]?.kind === 'mark') ref.session!.onMarkEcho((playback.shift() as { name: string }).name);
  };
  const transport: MediaTransport = {
    sendMedia: () => void playback.push({ kind: 'media' }),
    sendMark: (name) => {
      playback.push({ kind: 'mark', name });
      echoLeadingMarks();
    },
    sendClear: () => {
      clears.push(performance.now());
      for (const p of playback.splice(0))
        if (p.kind === 'mark') queueMicrotask(() => ref.session!.onMarkEcho(p.name));
    },
  };
  const say = (lines: string[]): BrainOutput[] => lines.map((text) => ({ type: 'say', text }));
  const session = new CallSession({
    transport,
    hangup: () => undefined,
    tts: deps.tts,
    brain: {
      name: 'scripted',
      async *respond(turn) {
        inputs.push(turn);
        if (turn.kind === 'call-started') yield* say(GREETING);
        else yield* say(LONG_ANSWER);
      },
    },
    business: businessProfileSchema.parse({
      name: 'Acme Plumbing',
      timezone: 'America/New_York',
      hours: { weekly: { mon: [{ open: '08:00', close: '18:00' }] } },
    }),
    listening: {
      stt: withReadings(deps.stt, readings),
      detector: new SpeechDetector(deps.vad.createStream(8000), {
        minSpeechMs: DEFAULT_TURN_TAKING.minTurnSpeechMs,
        minSilenceMs: DEFAULT_TURN_TAKING.endOfTurnSilenceMs,
      }),
    },
    turnTaking: DEFAULT_TURN_TAKING,
    events: {
      emit: (e) => {
        events.push(e);
        if (e.type === 'transcript-interim' && onsetAt !== undefined)
          interims.push(`${Math.round(performance.now() - onsetAt)}:${e.text}`);
      },
    },
    log: silentLog,
    playoutLeadMs: 240,
  });
  ref.session = session;

  // The caller's audio, queued frame by frame; `onsetAt` stamped when its first loud frame goes.
  const callerQueue: Array<{ frame: Uint8Array; onset?: boolean }> = [];
  const queueAudio = (a: Uint8Array, markOnset: boolean) => {
    const onset = onsetFrame(a);
    for (let i = 0; i * FRAME < a.length; i++) {
      const frame = new Uint8Array(FRAME).fill(0xff);
      frame.set(a.subarray(i * FRAME, (i + 1) * FRAME));
      callerQueue.push(markOnset && i === onset ? { frame, onset: true } : { frame });
    }
  };
  let onsetAt: number | undefined;
  const turnsStarted = () => events.filter((e) => e.type === 'agent-turn-started').length;
  const settled = () =>
    events.filter((e) => e.type === 'agent-turn-ended' || e.type === 'agent-turn-interrupted');
  const audibleAt: number[] = [];

  session.start();
  const t0 = performance.now();
  let next = t0;
  let phase: 'greeting' | 'asked' | 'waiting' | 'spoken' = context === 'greeting' ? 'waiting' : 'greeting';
  const target = context === 'greeting' ? 1 : 2; // which agent turn the phrase goes over
  let doneAt: number | undefined;
  for (;;) {
    next += 20;
    await sleep(next - performance.now());
    const now = performance.now();
    // Twilio plays one frame per 20 ms and echoes the marks after it.
    if (playback[0]?.kind === 'media') {
      playback.shift();
      if (audibleAt.length < turnsStarted()) audibleAt.push(now);
    }
    echoLeadingMarks();
    const c = callerQueue.shift();
    if (c?.onset) onsetAt = now;
    session.onAudio(c?.frame ?? SILENT);

    if (phase === 'greeting' && settled().length >= 1) {
      await sleep(300);
      queueAudio(audio.question, false);
      phase = 'asked';
    }
    if (phase === 'asked' && turnsStarted() >= 2) phase = 'waiting';
    if (phase === 'waiting' && audibleAt.length >= target && now - audibleAt[target - 1]! >= SPEAK_AFTER_MS) {
      queueAudio(audio.phrase, true);
      phase = 'spoken';
    }
    // Over once the turn it spoke over has settled, the caller's words are final, and a while after.
    const finals = events.filter((e) => e.type === 'transcript-final').length;
    const expectedFinals = context === 'greeting' ? 1 : 2;
    if (phase === 'spoken' && doneAt === undefined && settled().length >= target && finals >= expectedFinals)
      doneAt = now + 1500;
    if ((doneAt !== undefined && now >= doneAt) || now - t0 > 40_000) break;
  }
  await session.end('bench');

  const over = events.filter((e) => e.type === 'agent-turn-started')[target - 1];
  const overId = over?.type === 'agent-turn-started' ? over.turnId : '';
  const is = (type: CallEventBody['type']) =>
    events.some((e) => e.type === type && 'turnId' in e && e.turnId === overId);
  const clear = onsetAt === undefined ? undefined : clears.find((t) => t >= onsetAt! - 200);
  return {
    voice,
    context,
    phrase,
    real,
    interrupted: events.some(
      (e) => e.type === 'agent-turn-interrupted' && e.turnId === overId && e.reason === 'barge-in',
    ),
    paused: is('agent-turn-paused'),
    resumed: is('agent-turn-resumed'),
    answered: inputs.filter((i) => i.kind !== 'call-started').length - (context === 'answer' ? 1 : 0),
    ...(clear !== undefined && onsetAt !== undefined ? { clearMs: Math.round(clear - onsetAt) } : {}),
    heard: events
      .flatMap((e) => (e.type === 'transcript-final' ? [e] : []))
      .map((f) => {
        const conf = f.confidence !== undefined ? ` (${f.confidence.toFixed(2)})` : '';
        const alts = f.text ? readings.shift() : undefined;
        const others = VERBOSE && alts?.length ? ` [or: ${alts.join('; ')}]` : '';
        return `${f.text || '(nothing)'}${conf}${others}`;
      }),
    interims,
  };
}

/** The recognizer as the session gets it, noting each final's other readings for the printout. */
function withReadings(stt: SpeechToText, readings: string[][]): SpeechToText {
  return {
    name: stt.name,
    sampleRate: stt.sampleRate,
    capabilities: stt.capabilities,
    close: () => stt.close(),
    stream: (options) => {
      const s = stt.stream(options);
      return {
        track: s.track,
        push: (pcm) => s.push(pcm),
        flush: () => s.flush(),
        expect: (next) => s.expect(next),
        close: () => s.close(),
        async *[Symbol.asyncIterator]() {
          for await (const e of s) {
            // Finals with words only: they are the transcripts that have words, in order.
            if (e.type === 'final' && e.text.trim())
              readings.push(e.alternatives.slice(1).map((a) => a.text));
            yield e;
          }
        },
      };
    },
  };
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

function summarize(label: string, trials: Trial[]): void {
  const bc = trials.filter((t) => !t.real);
  const real = trials.filter((t) => t.real);
  const clearMs = real.flatMap((t) => (t.interrupted && t.clearMs !== undefined ? [t.clearMs] : []));
  console.log(
    [
      `${label}:`,
      `backchannels ${bc.length}: interruptions ${bc.filter((t) => t.interrupted).length},`,
      `answered ${bc.reduce((n, t) => n + t.answered, 0)},`,
      `paused ${bc.filter((t) => t.paused).length} (resumed ${bc.filter((t) => t.resumed).length});`,
      `real ${real.length}: cut ${real.filter((t) => t.interrupted).length},`,
      `onset->clear p50 ${pct(clearMs, 50)} ms p95 ${pct(clearMs, 95)} ms max ${Math.max(...clearMs)} ms,`,
      `via a pause ${real.filter((t) => t.paused).length}`,
    ].join(' '),
  );
}

async function main(): Promise<void> {
  const voices = values.voices.split(',').filter(Boolean);
  const repeat = Number(values.repeat);
  const [stt, vad, tts] = await Promise.all([
    createPocketSphinxStt({ threads: 1, logger: silentLog as never }),
    SileroVadModel.load(),
    createFliteTts(),
  ]);
  const all: Trial[] = [];
  try {
    for (const voice of voices) {
      const speak = voiceSource(voice);
      const question = await speak({ say: QUESTION });
      for (let r = 0; r < repeat; r++) {
        for (const context of ['greeting', 'answer'] as const) {
          for (const [phrase, real] of [
            ...BACKCHANNELS.map((p) => [p, false] as const),
            ...REAL.map((p) => [p, true] as const),
          ]) {
            const t = await trial(
              { stt, vad, tts },
              voice,
              { question, phrase: await speak({ say: phrase }) },
              context,
              phrase,
              real,
            );
            all.push(t);
            console.log(
              [
                voice.padEnd(22),
                context.padEnd(8),
                `"${phrase}"`.padEnd(34),
                t.interrupted ? 'CUT ' : 'kept',
                t.paused ? (t.resumed ? 'paused+resumed' : 'paused') : '',
                t.answered ? `answered ${t.answered}` : '',
                t.clearMs !== undefined ? `clear +${t.clearMs} ms` : '',
                `heard: ${t.heard.map((h) => `"${h}"`).join(' / ')}`,
                VERBOSE ? `words so far: ${t.interims.join(' | ')}` : '',
              ]
                .filter(Boolean)
                .join('  '),
            );
          }
        }
      }
      summarize(
        voice,
        all.filter((t) => t.voice === voice),
      );
    }
    for (const context of ['greeting', 'answer'] as const)
      summarize(
        `over the ${context}`,
        all.filter((t) => t.context === context),
      );
    summarize('all', all);
  } finally {
    await stt.close();
    await vad.close();
  }
}

await main();
