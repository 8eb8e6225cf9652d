import { z } from 'zod';
import type { ChatMessage, ChatModel } from '../../providers/llm/index.js';
import type { CallDetail } from '../../store/index.js';
import { NO_FACTS, type CallFacts } from './call-facts.js';
import { formatWhen, summarizeOffline, type WrittenSummary } from './offline-summary.js';

export interface SummarizeOptions {
  /** A language model writes it when given; any failure falls back to the offline summary. */
  chat?: ChatModel;
  signal: AbortSignal;
  /** The receptionist's records of the call (lead, bookings, emergencies, questions). */
  facts?: CallFacts;
  /** The model's whole answer must come within this; default 20 s. */
  timeoutMs?: number;
  /** Why the model's answer was not used (for the job's log: a reason, never the text). */
  onFallback?: (reason: string) => void;
}

/** What the model must answer: checked before it is stored. */
export const writtenSummarySchema = z.object({
  text: z.string().trim().min(1).max(2000),
  actionItems: z.array(z.string().trim().min(1).max(300)).max(10),
});

/** Transcript lines sent to the model: the end of a long call matters more than its middle. */
const MAX_TRANSCRIPT_CHARS = 8000;
const MAX_ANSWER_CHARS = 8000;

/**
 * The after-call summary of any call: a few sentences and action items. With a model, it is asked
 * for JSON and checked (zod); a failure, a timeout or an answer that does not fit gives the offline
 * summary instead, so a call always gets one.
 */
export async function summarizeCall(detail: CallDetail, opts: SummarizeOptions): Promise<WrittenSummary> {
  const facts = opts.facts ?? NO_FACTS;
  const offline = summarizeOffline(detail, facts);
  if (!opts.chat || opts.signal.aborted) return offline;
  try {
    return await askModel(opts.chat, detail, facts, offline, opts);
  } catch (err) {
    opts.onFallback?.(reasonOf(err));
    return offline;
  }
}

async function askModel(
  chat: ChatModel,
  detail: CallDetail,
  facts: CallFacts,
  draft: WrittenSummary,
  opts: SummarizeOptions,
): Promise<WrittenSummary> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), opts.timeoutMs ?? 20_000);
  const signal = AbortSignal.any([opts.signal, timeout.signal]);
  try {
    let answer = '';
    for await (const d of chat.stream(promptFor(detail, facts, draft), [], signal)) {
      if (d.type === 'text') answer += d.text;
      if (answer.length > MAX_ANSWER_CHARS) throw new Error('answer too long');
    }
    if (signal.aborted) throw new Error(timeout.signal.aborted ? 'timed out' : 'cancelled');
    const parsed = writtenSummarySchema.safeParse(parseJson(answer));
    if (!parsed.success) throw new Error('answer is not the summary JSON');
    return parsed.data;
  } finally {
    clearTimeout(timer);
  }
}

function promptFor(detail: CallDetail, facts: CallFacts, draft: WrittenSummary): ChatMessage[] {
  const speaker = { caller: 'Caller', agent: 'AI receptionist', human_agent: 'Agent' } as const;
  let transcript = detail.turns.map((t) => `${speaker[t.speaker]}: ${t.text}`).join('\n');
  if (transcript.length > MAX_TRANSCRIPT_CHARS) transcript = `…${transcript.slice(-MAX_TRANSCRIPT_CHARS)}`;
  const records = {
    answeredBy:
      detail.answeredBy === 'human' ? 'a person at the business (with assist)' : 'the AI receptionist',
    durationSec: detail.durationSec,
    lead: facts.lead,
    bookings: facts.bookings.map((b) => ({ ...b, startsAt: formatWhen(b.startsAt, facts.timezone) })),
    emergencies: facts.emergencies,
    questionsForOwner: facts.questions,
    events: detail.events.map((e) => ({ type: e.type, ...e.payload })),
    suggestionsShown: detail.suggestions.map((s) => ({ kind: s.kind, intent: s.intent, content: s.content })),
  };
  return [
    {
      role: 'system',
      content:
        'You write after-call notes for a small business owner. Answer with JSON only, no prose around it: ' +
        '{"text": "<2 to 4 plain sentences: who called, about what, what was done>", ' +
        '"actionItems": ["<short imperative follow-up, e.g. Call back Ana about the leaking tap>"]}. ' +
        'Use only what the transcript and records say; never invent names, times or prices. ' +
        'An empty actionItems list is fine when nothing needs doing.',
    },
    {
      role: 'user',
      content:
        `Transcript:\n${transcript || '(nothing understood)'}\n\n` +
        `Records:\n${JSON.stringify(records)}\n\n` +
        `A draft made without you (improve it, keep its facts):\n${JSON.stringify(draft)}`,
    },
  ];
}

/** The JSON object in a model's answer: bare, or inside a ``` fence, or with words around it. */
function parseJson(answer: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(answer)?.[1];
  const body = (fenced ?? answer).trim();
  const start = body.indexOf('{');
  const end = body.lastIndexOf('}');
  if (start < 0 || end <= start) throw new Error('no JSON object in the answer');
  try {
    return JSON.parse(body.slice(start, end + 1));
  } catch {
    throw new Error('answer is not valid JSON');
  }
}

function reasonOf(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.length > 120 ? `${msg.slice(0, 117)}...` : msg;
}
