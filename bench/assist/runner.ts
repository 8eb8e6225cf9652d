import { pcmToMulaw } from '../../src/audio/index.js';
import type { AssistIntent } from '../../src/assist/events.js';
import type { AssistedCallReport, AssistTurn } from '../../src/sim/assisted-call.js';
import { voiceExtent } from '../../src/sim/voice-extent.js';
import { Line, seedOf, type Condition } from '../offline-eval/channel.js';
import { synthesize, type EvalVoice } from '../offline-eval/voices.js';
import type { FeedCall, ReceivedSuggestion } from './agent-feed.js';
import type { AssistTestCall } from './calls.js';

/**
 * The assist benchmark's two halves: a test call made into two tracks of audio (the customer in
 * the voice under test through the chosen line, the agent in flite's "slt", the AI's own voice,
 * on a clean line), and a finished call scored from what the agent's socket received.
 */

/** The agent's side is the same voice in every run: only the customer's voice is under test. */
export const AGENT_VOICE: EvalVoice = { id: 'flite:slt', engine: 'flite', voice: 'slt', tuning: false };

export interface CallAudio {
  turns: AssistTurn[];
  /** What the customer's quiet track carries: the line's hiss on a phone line, else undefined (silence). */
  customerSilence?: () => Uint8Array;
}

export async function callAudio(call: AssistTestCall, voice: EvalVoice, line: Condition): Promise<CallAudio> {
  const customerLine = new Line(line, seedOf(`${call.id}|${voice.id}|${line}`));
  // A clean line keeps no state between clips: one serves the agent and the clean reading of the customer.
  const agentLine = new Line('clean', 0);
  const turns: AssistTurn[] = [];
  for (const l of call.lines) {
    if ('pause' in l) {
      turns.push({ pause: l.pause });
      continue;
    }
    if (l.speaker === 'agent') {
      const audio = agentLine.speech(await synthesize(AGENT_VOICE, l.text));
      turns.push({ speaker: 'agent', audio: pcmToMulaw(audio), text: l.text });
      continue;
    }
    const spoken = await synthesize(voice, l.text);
    // Where the voice ends is read from the clean clip: a noisy line's hiss would blur it.
    const clean = voiceExtent(pcmToMulaw(agentLine.speech(spoken)));
    turns.push({
      speaker: 'customer',
      audio: pcmToMulaw(customerLine.speech(spoken)),
      text: l.text,
      ...(clean ? { voice: { startMs: clean.startMs, endMs: clean.endMs } } : {}),
    });
  }
  return line === 'phone'
    ? { turns, customerSilence: () => pcmToMulaw(customerLine.silence(20)) }
    : { turns };
}

/** One customer utterance: when the first card for it reached the agent, measured from its voice's end. */
export interface UtteranceScore {
  turn: number;
  text: string;
  /** Voice end → first card of any kind (compliance reminders aside) in this utterance's window; 0 when it came first. */
  firstCardMs?: number;
  firstCardBeforeEnd?: boolean;
  /** Card time minus voice end, signed (negative: the card came that long before the voice ended). */
  firstCardSignedMs?: number;
  /** Voice end → the first card carrying one of the call's expected intents. */
  intentCardMs?: number;
  intentCardBeforeEnd?: boolean;
  intentCardSignedMs?: number;
}

export interface CallScore {
  id: string;
  split: AssistTestCall['split'];
  voice: string;
  voiceTuning: boolean;
  line: Condition;
  callSid: string;
  expected: readonly AssistIntent[];
  /** Each expected intent: whether a card with that intent reached the agent for this call. */
  found: Partial<Record<AssistIntent, boolean>>;
  /** Intent cards for intents the call did not have (on small talk: every intent card). */
  unexpectedIntents: string[];
  utterances: UtteranceScore[];
  cards: Array<
    Pick<ReceivedSuggestion, 'kind' | 'intent' | 'basis' | 'priority' | 'confidence' | 'content'> & {
      atMs: number;
    }
  >;
  heard: string[];
  statuses: Array<{ state: string; reason: string }>;
  /** The feed said call-ended for it. */
  ended: boolean;
}

/**
 * A card belongs to the customer utterance whose voice started last before it arrived (cards from
 * the agent's words or the clock, i.e. compliance, are left out of latency).
 */
export function scoreCall(
  call: AssistTestCall,
  voice: EvalVoice,
  line: Condition,
  report: AssistedCallReport,
  feed: FeedCall,
): CallScore {
  const t0 = report.startedAt?.perfMs ?? 0;
  const ends = report.voiceEnds;
  const starts = ends.map((v) => t0 + v.startStreamMs);
  const cards = feed.suggestions;
  const expected = new Set<string>(call.intents);
  const utterances: UtteranceScore[] = ends.map((v, i) => {
    const from = starts[i]!;
    const to = starts[i + 1] ?? Infinity;
    const inWindow = cards.filter((c) => c.perfMs >= from && c.perfMs < to && c.kind !== 'compliance');
    const u: UtteranceScore = { turn: v.turn, text: v.text ?? '' };
    const first = inWindow[0];
    if (first) {
      u.firstCardMs = Math.max(0, first.perfMs - v.perfMs);
      u.firstCardBeforeEnd = first.perfMs < v.perfMs;
      u.firstCardSignedMs = Math.round(first.perfMs - v.perfMs);
    }
    const intent = inWindow.find((c) => c.intent !== undefined && expected.has(c.intent));
    if (intent) {
      u.intentCardMs = Math.max(0, intent.perfMs - v.perfMs);
      u.intentCardBeforeEnd = intent.perfMs < v.perfMs;
      u.intentCardSignedMs = Math.round(intent.perfMs - v.perfMs);
    }
    return u;
  });
  const found: Partial<Record<AssistIntent, boolean>> = {};
  for (const i of call.intents) found[i] = cards.some((c) => c.intent === i);
  return {
    id: call.id,
    split: call.split,
    voice: voice.id,
    voiceTuning: voice.tuning,
    line,
    callSid: report.callSid,
    expected: call.intents,
    found,
    unexpectedIntents: cards
      .filter((c) => c.kind === 'intent' && c.intent !== undefined && !expected.has(c.intent))
      .map((c) => c.intent!),
    utterances,
    cards: cards.map((c) => ({
      ...(c.kind !== undefined ? { kind: c.kind } : {}),
      ...(c.intent !== undefined ? { intent: c.intent } : {}),
      ...(c.basis !== undefined ? { basis: c.basis } : {}),
      priority: c.priority,
      confidence: c.confidence,
      content: c.content,
      atMs: Math.round(c.perfMs - t0),
    })),
    heard: feed.transcripts.filter((t) => t.final).map((t) => `${t.speaker}: ${t.text}`),
    statuses: feed.statuses,
    ended: feed.ended,
  };
}

const pct = (xs: readonly number[], p: number): number | undefined => {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};

export interface LatencySummary {
  n: number;
  p50?: number;
  p95?: number;
  max?: number;
  /** How many came before the voice ended (counted as 0 ms above), and how long before it (median, most). */
  beforeEnd: number;
  beforeEndByMs?: { p50: number; max: number };
  /** Utterances that got no card at all. */
  none: number;
}

function latency(values: Array<{ ms?: number; before?: boolean; signed?: number }>): LatencySummary {
  const got = values.filter((v) => v.ms !== undefined).map((v) => v.ms!);
  const early = values.filter((v) => v.before === true && v.signed !== undefined).map((v) => -v.signed!);
  return {
    n: got.length,
    ...(got.length > 0 ? { p50: pct(got, 50)!, p95: pct(got, 95)!, max: Math.max(...got) } : {}),
    beforeEnd: early.length,
    ...(early.length > 0 ? { beforeEndByMs: { p50: pct(early, 50)!, max: Math.max(...early) } } : {}),
    none: values.length - got.length,
  };
}

export interface GroupSummary {
  calls: number;
  /** Voice end of the utterance carrying the intent → that intent's card (calls with an intent). */
  intentLatency: LatencySummary;
  /** Voice end → first card of any kind, every customer utterance. */
  anyCardLatency: LatencySummary;
  /** Per intent: found / expected. */
  intents: Partial<Record<AssistIntent, { found: number; of: number }>>;
  overall: { found: number; of: number };
  smallTalk: { calls: number; withFalseCard: number; falseCards: number };
  /** Intent cards of intents an intent call did not have. */
  wrongIntentCards: number;
}

export function summarize(scores: readonly CallScore[]): GroupSummary {
  const intents: GroupSummary['intents'] = {};
  let found = 0;
  let of = 0;
  for (const s of scores) {
    for (const [intent, ok] of Object.entries(s.found) as Array<[AssistIntent, boolean]>) {
      const e = (intents[intent] ??= { found: 0, of: 0 });
      e.of++;
      of++;
      if (ok) {
        e.found++;
        found++;
      }
    }
  }
  const intentCalls = scores.filter((s) => s.expected.length > 0);
  const small = scores.filter((s) => s.expected.length === 0);
  return {
    calls: scores.length,
    // The utterance that carries the intent: the first with an intent card, else the call's first.
    intentLatency: latency(
      intentCalls.map((s) => {
        const u = s.utterances.find((x) => x.intentCardMs !== undefined) ?? s.utterances[0];
        return { ms: u?.intentCardMs, before: u?.intentCardBeforeEnd, signed: u?.intentCardSignedMs };
      }),
    ),
    anyCardLatency: latency(
      scores.flatMap((s) =>
        s.utterances.map((u) => ({
          ms: u.firstCardMs,
          before: u.firstCardBeforeEnd,
          signed: u.firstCardSignedMs,
        })),
      ),
    ),
    intents,
    overall: { found, of },
    smallTalk: {
      calls: small.length,
      withFalseCard: small.filter((s) => s.unexpectedIntents.length > 0).length,
      falseCards: small.reduce((n, s) => n + s.unexpectedIntents.length, 0),
    },
    wrongIntentCards: intentCalls.reduce((n, s) => n + s.unexpectedIntents.length, 0),
  };
}
