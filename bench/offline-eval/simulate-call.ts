/**
 * One simulated call through the real offline stack, faster than real time: the caller's audio
 * (voice + line) in 20 ms frames -> the real Listener (Silero VAD + PocketSphinx, as the call
 * session makes it) -> a TurnInput -> the real rules brain on the store-backed tools -> its
 * outputs, with each `listen` hint handed to the recognizer as the call session does. What the
 * call left is then read from the store.
 *
 * Time: the listener runs on a virtual clock that moves with the audio (20 ms a frame), so turn
 * endings and holds happen where they would on a call; decoding and the brain run in wall time,
 * which is what the latency figures measure.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { BrainOutput, BrainState, TranscriptEntry, TurnInput } from '../../src/agent/index.js';
import type { E164 } from '../../src/ids.js';
import type { SpeechToText } from '../../src/providers/stt/index.js';
import { SpeechDetector } from '../../src/providers/vad/index.js';
import { BookingsRepo, EmergenciesRepo, LeadsRepo } from '../../src/store/index.js';
import { bookings as bookingsTable } from '../../src/store/schema/index.js';
import { Listener, type ListenerEvent } from '../../src/voice/listener.js';
import { FakeClock } from '../../test/support/fake-clock.js';
import { turnTakingFor } from '../../src/voice/turn-taking.js';
import { CallerPolicy } from './caller-policy.js';
import { Line, seedOf, type Condition } from './channel.js';
import type { Scenario } from './scenario.js';
import type { EvalStack } from './stack.js';
import { synthesize, type EvalVoice } from './voices.js';

/** Silence before the caller speaks (the agent just finished; people take a breath). */
const LEAD_SILENCE_MS = 500;
/** Silence after the caller's words, fed while waiting for the turn to end (endpoint + hold). */
const TAIL_SILENCE_MS = 1500;
/** More silence fed at most while a turn is still open after the tail. */
const EXTRA_SILENCE_MS = 3000;
/** Longest wait for the recognizer's final after the turn ended (wall time). */
const FINAL_TIMEOUT_MS = 20_000;
/** Silence the line carries at most while a turn's result is awaited (past any unfinished-phrase hold). */
const HOLD_SILENCE_MS = 3000;
const FRAME_SAMPLES = 160;
/** Frames pushed between waits for the VAD (100 ms: the listener's timers move in steps no coarser). */
const BATCH_FRAMES = 5;

/** The detector the app makes, with its last push kept so the feeder can wait for the VAD. */
class WatchedDetector extends SpeechDetector {
  last: Promise<unknown> = Promise.resolve();
  override push(pcm: Int16Array): ReturnType<SpeechDetector['push']> {
    const p = super.push(pcm);
    this.last = p.catch(() => undefined);
    return p;
  }
}

export interface TurnRecord {
  readonly caller: string;
  /** What the recognizer heard ('' for keys or nothing). */
  readonly heard: string;
  readonly agent: string;
  readonly hint?: string;
}

export interface CallResult {
  readonly scenarioId: string;
  readonly split: Scenario['split'];
  readonly business: Scenario['business'];
  readonly kind: Scenario['kind'];
  readonly voice: string;
  readonly voiceTuning: boolean;
  readonly condition: Condition;
  readonly emergencyExpected: boolean;
  readonly emergencyRaised: boolean;
  readonly emergencyCategories: readonly string[];
  /** Most times the agent asked the same question in consecutive turns. */
  readonly maxSameQuestion: number;
  readonly question?: { readonly correct: boolean; readonly invented: boolean };
  readonly lead?: { readonly name: boolean; readonly phone: boolean; readonly need: boolean };
  readonly booking?: {
    readonly booked: boolean;
    readonly rightTime: boolean;
    readonly rightService: boolean;
  };
  readonly opening: { readonly reference: string; readonly hypothesis: string };
  /** Wall ms from the end of the turn's audio (flush) to the recognizer's final, per turn. */
  readonly decodeMs: readonly number[];
  /** Silence window + decode + brain to its first sentence, per spoken caller turn. */
  readonly replyMs: readonly number[];
  readonly callerTurns: number;
  /** Fed at a pace the decoder keeps up with: its latencies are the ones reported. */
  readonly paced: boolean;
  readonly hintsSeen: readonly string[];
  readonly turns?: readonly TurnRecord[];
  readonly error?: string;
}

export interface CallOptions {
  readonly now: Date;
  /** Frames are fed at most this many times real time while a turn is being decoded (Infinity: no pacing). */
  readonly speed: number;
  /** Keep the per-turn transcript in the result (never for the held-out split). */
  readonly keepTurns: boolean;
}

/** Weekday (0 = Sunday) of `now` in `tz`. */
export function weekdayIn(now: Date, tz: string): number {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: tz, weekday: 'long' }).format(now).toLowerCase();
  return ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'].indexOf(name);
}

/** The instant the business's wall clock reads `hour`:00, `days` after `now`'s local date. */
export function localInstant(now: Date, tz: string, days: number, hour: number): Date {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
  }).formatToParts(now);
  const n = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const wall = Date.UTC(n('year'), n('month') - 1, n('day') + days, hour);
  const offset = (at: number) => {
    const p = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    }).formatToParts(new Date(at));
    const g = (t: string) => Number(p.find((x) => x.type === t)?.value);
    return (
      Date.UTC(g('year'), g('month') - 1, g('day'), g('hour'), g('minute')) - Math.floor(at / 60_000) * 60_000
    );
  };
  let guess = wall - offset(wall);
  guess = wall - offset(guess);
  return new Date(guess);
}

const CALLER_ID = '+15555550123' as E164;

export async function simulateCall(
  stack: EvalStack,
  scenario: Scenario,
  voice: EvalVoice,
  condition: Condition,
  opts: CallOptions,
): Promise<CallResult> {
  const { business, profile } = stack.businesses[scenario.business];
  // Every caller finds the calendar as it was: another call's booking of the same slot (the same
  // scenario in another voice) must not make this one's time taken, nor be found as theirs.
  await stack.db.delete(bookingsTable);
  const lifetime = new AbortController();
  const callerId = scenario.caller.usesCallerId ? (`+1${scenario.caller.phone}` as E164) : CALLER_ID;
  const { callSid, brain, hits } = await stack.call(scenario.business, {
    callerId,
    now: opts.now,
    lifetime: lifetime.signal,
  });
  const turnTaking = turnTakingFor((business.settings as { turnTaking?: unknown } | null)?.turnTaking);
  // Listener times move with the audio pushed; timers fire as it passes them.
  const clock = new FakeClock();
  const detector = new WatchedDetector(stack.vad.createStream(8000), {
    minSpeechMs: turnTaking.minTurnSpeechMs,
    minSilenceMs: turnTaking.endOfTurnSilenceMs,
  });
  const events: Array<{ e: ListenerEvent; wallAt: number }> = [];
  const errors: unknown[] = [];
  // As the call controller makes it; `vocabulary` (the business id) where the listener takes one.
  const listenerDeps = {
    detector,
    stt: stack.stt as SpeechToText,
    config: turnTaking,
    clock,
    onEvent: (e: ListenerEvent) => events.push({ e, wallAt: performance.now() }),
    onError: (err: unknown) => errors.push(err),
    vocabulary: business.id,
  };
  const listener = new Listener(listenerDeps as ConstructorParameters<typeof Listener>[0]);
  const line = new Line(condition, seedOf(`${scenario.id}|${voice.id}|${condition}`));
  const policy = new CallerPolicy(scenario, { todayWeekday: weekdayIn(opts.now, profile.timezone) });
  const state: BrainState = {};
  const transcript: TranscriptEntry[] = [];
  const outputs: BrainOutput[] = [];
  const turns: TurnRecord[] = [];
  const decodeMs: number[] = [];
  const replyMs: number[] = [];
  const hintsSeen: string[] = [];
  const agentQuestions: string[] = [];
  let opening = '';
  let error: string | undefined;

  /**
   * Pushes 20 ms frames as the media stream would, waiting for the VAD every BATCH_FRAMES. While a
   * caller turn is open (its audio goes to the decoder) the audio is paced at `speed` x real time,
   * so the decoder keeps up as it would on a call; silence outside turns goes as fast as the VAD takes it.
   */
  let turnWallStart = 0;
  let turnAudioMs = 0;
  const feed = async (pcm: Int16Array): Promise<void> => {
    for (let at = 0, i = 0; at < pcm.length; at += FRAME_SAMPLES, i++) {
      const frame = pcm.slice(at, at + FRAME_SAMPLES);
      listener.push(frame);
      clock.advance(frame.length / 8);
      if ((i + 1) % BATCH_FRAMES !== 0 && at + FRAME_SAMPLES < pcm.length) continue;
      await detector.last;
      await nextTurn();
      const c = counts();
      if (c.starts > c.ends && Number.isFinite(opts.speed)) {
        if (turnAudioMs === 0) turnWallStart = performance.now();
        turnAudioMs += BATCH_FRAMES * 20;
        const wait = turnWallStart + turnAudioMs / opts.speed - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      } else {
        turnAudioMs = 0;
      }
    }
  };

  const counts = () => {
    let starts = 0;
    let ends = 0;
    let results = 0;
    for (const { e } of events) {
      if (e.type === 'speech-start') starts++;
      else if (e.type === 'speech-end') ends++;
      else if (e.type === 'utterance' || e.type === 'noise') results++;
    }
    return { starts, ends, results };
  };

  /** The caller's words through the line and the listener: what the session would hand the brain. */
  const hear = async (
    text: string,
  ): Promise<{ input: TurnInput; heard: string; endpointingMs: number; decodeAt?: number }> => {
    const from = events.length;
    const audio = await synthesize(voice, text);
    await feed(line.silence(LEAD_SILENCE_MS));
    await feed(line.speech(audio));
    await feed(line.silence(TAIL_SILENCE_MS));
    // A turn still open (held after unfinished words, or a long hold): more silence, as on a call.
    for (let extra = 0; extra < EXTRA_SILENCE_MS; extra += 100) {
      const c = counts();
      if (c.starts === c.ends) break;
      await feed(line.silence(100));
    }
    const deadline = performance.now() + FINAL_TIMEOUT_MS;
    // The line goes on carrying silence while the caller waits, as on a call: a result the
    // listener holds for the rest of an unfinished phrase ("my number is") is released on the
    // clock that audio moves.
    let waitedMs = 0;
    while (counts().results < counts().ends && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2));
      if (waitedMs < HOLD_SILENCE_MS) {
        await feed(line.silence(20));
        waitedMs += 20;
      }
    }
    const mine = events.slice(from);
    const utterances = mine.filter((x) => x.e.type === 'utterance');
    const words = utterances
      .map((x) => (x.e as Extract<ListenerEvent, { type: 'utterance' }>).text)
      .filter(Boolean);
    // Decode latency: each turn's speech-end (its flush) to its result.
    let lastEnd: number | undefined;
    for (const x of mine) {
      if (x.e.type === 'speech-end') lastEnd = x.wallAt;
      else if ((x.e.type === 'utterance' || x.e.type === 'noise') && lastEnd !== undefined) {
        if (x.e.type === 'utterance') decodeMs.push(x.wallAt - lastEnd);
        lastEnd = undefined;
      }
    }
    const last = utterances.at(-1);
    const lastU = last?.e as Extract<ListenerEvent, { type: 'utterance' }> | undefined;
    if (!lastU) return { input: { kind: 'no-input' }, heard: '', endpointingMs: 0 };
    const heard = words.join(' ');
    // As the session: several turns of one answer are answered together; the alternatives and
    // confidence of the last one travel with it (where the listener gives them).
    const alternatives = (lastU as { alternatives?: readonly string[] }).alternatives;
    const input: TurnInput = heard
      ? {
          kind: 'speech',
          text: heard,
          ...(lastU.confidence !== undefined ? { confidence: lastU.confidence } : {}),
          ...(alternatives && alternatives.length > 0 ? { alternatives } : {}),
        }
      : { kind: 'unclear' };
    return { input, heard, endpointingMs: lastU.endpointingMs, decodeAt: last!.wallAt };
  };

  /** One brain turn: its sentences, its decisions, its listen hint (given to the recognizer). */
  const think = async (
    input: TurnInput,
  ): Promise<{ text: string; ended: boolean; firstSayAt?: number; hint?: string }> => {
    const said: string[] = [];
    let ended = false;
    let firstSayAt: number | undefined;
    let listen: Extract<BrainOutput, { type: 'listen' }> | undefined;
    for await (const out of brain.respond(
      input,
      { business: profile, channel: 'phone', callerId, transcript: [...transcript], state, now: opts.now },
      new AbortController().signal,
    )) {
      outputs.push(out);
      if (out.type === 'say') {
        firstSayAt ??= performance.now();
        said.push(out.text);
      } else if (out.type === 'listen') {
        listen = out;
      } else if (out.type === 'end-call' || out.type === 'transfer') ended = true;
    }
    // As the session does once the brain's turn is over: the question's hint, 'phone' for keypad
    // digits, else the open model.
    const hint = listen?.hint ?? (listen?.expect === 'digits' ? 'phone' : 'open');
    expectNext(listener, hint);
    hintsSeen.push(hint);
    return {
      text: said.join(' '),
      ended,
      ...(firstSayAt !== undefined ? { firstSayAt } : {}),
      ...(hint ? { hint } : {}),
    };
  };

  try {
    let reply = await think({ kind: 'call-started' });
    transcript.push({ speaker: 'agent', text: reply.text });
    for (;;) {
      const act = policy.next(reply.text, reply.ended);
      if (act.kind === 'hangup') break;
      let input: TurnInput;
      let callerText: string;
      let heard = '';
      let endpointingMs = 0;
      let decodeAt: number | undefined;
      if (act.kind === 'keys') {
        callerText = `[keys] ${act.digits}`;
        // The session collects digits up to the finish key and hands them over as one input.
        input = { kind: 'dtmf', digits: act.digits.replace(/#$/, '') };
        await feed(line.silence(LEAD_SILENCE_MS + 100 * act.digits.length));
      } else {
        callerText = act.text;
        const h = await hear(act.text);
        ({ input, heard, endpointingMs } = h);
        decodeAt = h.decodeAt;
        if (!opening) opening = heard || ' ';
      }
      transcript.push({
        speaker: 'caller',
        text: input.kind === 'speech' ? input.text : input.kind === 'dtmf' ? `[keys] ${input.digits}` : '',
      });
      reply = await think(input);
      if (decodeAt !== undefined && reply.firstSayAt !== undefined) {
        const decode = decodeMs.at(-1) ?? 0;
        replyMs.push(endpointingMs + decode + (reply.firstSayAt - decodeAt));
      }
      transcript.push({ speaker: 'agent', text: reply.text });
      turns.push({
        caller: callerText,
        heard,
        agent: reply.text,
        ...(reply.hint ? { hint: reply.hint } : {}),
      });
      agentQuestions.push(questionOf(reply.text));
    }
  } catch (err) {
    error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  } finally {
    listener.close();
    lifetime.abort();
  }
  if (errors.length > 0 && !error) error = `listener: ${String(errors[0])}`;

  // What the call left, from the store.
  const bid = business.id;
  const emergencies = await new EmergenciesRepo(stack.db).list(bid, { callSid });
  const leads = await new LeadsRepo(stack.db).list(bid, { callSid });
  const bookings = await new BookingsRepo(stack.db).list(bid, { callSid });
  const raised = emergencies.length > 0 || outputs.some((o) => o.type === 'emergency');
  const agentAll = turns.map((t) => t.agent).join(' \n ');

  const result: CallResult = {
    scenarioId: scenario.id,
    split: scenario.split,
    business: scenario.business,
    kind: scenario.kind,
    voice: voice.id,
    voiceTuning: voice.tuning,
    condition,
    emergencyExpected: scenario.emergency,
    emergencyRaised: raised,
    emergencyCategories: emergencies.map((e) => String((e as { category?: unknown }).category ?? '')),
    maxSameQuestion: maxRun(agentQuestions),
    ...(scenario.kind === 'question'
      ? {
          question: judgeAnswer(
            scenario,
            turns,
            hits.map((h) => h.text),
          ),
        }
      : {}),
    ...(scenario.kind === 'lead' || scenario.expectLead
      ? { lead: judgeLead(scenario, leads[0] as unknown as Record<string, unknown> | undefined) }
      : {}),
    ...(scenario.kind === 'booking'
      ? {
          booking: judgeBooking(
            scenario,
            bookings.map((b) => ({ start: b.startsAt, serviceId: b.serviceId })),
            opts.now,
            profile.timezone,
          ),
        }
      : {}),
    opening: { reference: scenario.opening, hypothesis: opening.trim() },
    decodeMs,
    replyMs,
    callerTurns: policy.callerTurns,
    paced: Number.isFinite(opts.speed),
    hintsSeen,
    ...(opts.keepTurns ? { turns } : {}),
    ...(error ? { error } : {}),
  };
  void agentAll;
  return result;
}

/** Tells the listener what comes next, where the code has the seam (not before this issue). */
function expectNext(listener: Listener, hint: string): void {
  const l = listener as unknown as { expect?: (h: string) => void };
  if (typeof l.expect === 'function') l.expect(hint);
}

/** The question an agent turn ends on (its last sentence with a question mark), normalised. */
function questionOf(text: string): string {
  const qs = text.match(/[^.?!]*\?/g);
  return qs
    ? qs
        .at(-1)!
        .toLowerCase()
        .replace(/[^a-z ]/g, '')
        .trim()
    : '';
}

/** The longest run of the same non-empty question in consecutive agent turns. */
export function maxRun(questions: readonly string[]): number {
  let best = 0;
  let run = 0;
  let prev = '';
  for (const q of questions) {
    run = q && q === prev ? run + 1 : q ? 1 : 0;
    prev = q;
    best = Math.max(best, run);
  }
  return best;
}

function judgeAnswer(
  s: Scenario,
  turns: readonly TurnRecord[],
  passages: readonly string[],
): { correct: boolean; invented: boolean } {
  const replies = turns.map((t) => t.agent.toLowerCase());
  const has = (f: string) => replies.some((r) => r.includes(f.toLowerCase()));
  const correct = (s.answer?.contains ?? []).some(has);
  const wrongFact = (s.answer?.mustNotContain ?? []).some(has);
  // An unrelated passage read out: a reply quoting a knowledge hit (its first words) that holds no expected fact.
  const quoted = passages.some((p) => {
    const head = p.toLowerCase().replace(/\s+/g, ' ').slice(0, 40);
    return (
      head.length >= 20 &&
      replies.some(
        (r) =>
          r.replace(/\s+/g, ' ').includes(head) &&
          !(s.answer?.contains ?? []).some((f) => r.includes(f.toLowerCase())),
      )
    );
  });
  return { correct, invented: wrongFact || (quoted && !correct) };
}

const norm = (v: unknown): string =>
  String(v ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9 ]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

function judgeLead(
  s: Scenario,
  lead: Record<string, unknown> | undefined,
): { name: boolean; phone: boolean; need: boolean } {
  if (!lead) return { name: false, phone: false, need: false };
  const fields = (lead['fields'] ?? {}) as Record<string, unknown>;
  const get = (k: string) => lead[k] ?? fields[k];
  const phone = String(get('phone') ?? '')
    .replace(/\D/g, '')
    .slice(-10);
  const needWords = norm(s.caller.need)
    .split(' ')
    .filter((w) => w.length > 3);
  const need = norm(get('need'));
  return {
    name: norm(get('name')) === norm(s.caller.name),
    phone: phone === s.caller.phone,
    // The need in other words still counts when its main words are there.
    need:
      need.length > 0 &&
      (needWords.length === 0 || needWords.some((w) => need.includes(w.replace(/s$/, '')))),
  };
}

function judgeBooking(
  s: Scenario,
  bookings: ReadonlyArray<{ start: Date; serviceId: string }>,
  now: Date,
  tz: string,
): { booked: boolean; rightTime: boolean; rightService: boolean } {
  if (!s.when || bookings.length === 0)
    return { booked: bookings.length > 0, rightTime: false, rightService: false };
  const want = localInstant(now, tz, s.when.daysAhead, s.when.hour).getTime();
  const right = bookings.find((b) => b.start.getTime() === want);
  return {
    booked: true,
    rightTime: right !== undefined,
    rightService: (right ?? bookings[0])!.serviceId === s.serviceId,
  };
}
