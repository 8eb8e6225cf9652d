import type { BrainOutput, ConversationContext, TranscriptEntry, TurnInput } from '../brain.js';
import type { IntentResult } from '../intent.js';
import type { AgentTools } from '../tools.js';
import type { DialogState } from './state.js';
import { splitSentences, type ExpectedSpeech, type Logger } from '../../shared/index.js';

/** Everything one turn's handlers need, passed down instead of held in globals. */
export interface TurnEnv {
  turn: TurnInput;
  ctx: ConversationContext;
  st: DialogState;
  tools: AgentTools;
  /** The turn's signal: aborted on barge-in. Reads (search, slots) use it. */
  signal: AbortSignal;
  /**
   * The conversation's signal: not aborted by a barge-in. Writes that must not be lost to an
   * interruption (a lead, an emergency alert, a booking) use it.
   */
  lifetime: AbortSignal;
  /** Speech text ('' for other inputs). */
  text: string;
  intents: IntentResult;
  logger?: Logger | undefined;
  /** The question this turn's reply asks, named by the flow that asks it (see `ask`). */
  question?: string | undefined;
}

export type Flow<R = void> = AsyncGenerator<BrainOutput, R>;

export async function* say(text: string): Flow {
  // "at 10 a.m." closing a sentence must not read "a.m..".
  for (const s of splitSentences(text.replace(/(?<!\.)\.\.(?!\.)/g, '.'))) yield { type: 'say', text: s };
}

type Listen = Extract<BrainOutput, { type: 'listen' }>;

/**
 * The listen that ends a question: what the caller is likely to say (the recognizer narrows its
 * model to it) and which question it is, so no question is asked three times in a row.
 */
export function ask(
  env: TurnEnv,
  question: string,
  hint: ExpectedSpeech,
  extra: Omit<Listen, 'type' | 'hint'> = {},
): Listen {
  env.question = question;
  return { type: 'listen', hint, ...extra };
}

/** How many times in a row `question` has just been asked (0 when the last question was another). */
export function timesAsked(env: TurnEnv, question: string): number {
  return env.st.asked?.key === question ? env.st.asked.times : 0;
}

/** A question may be asked twice in a row, never a third time: the flow moves on instead. */
export const MAX_SAME_QUESTION = 2;

export function mayAskAgain(env: TurnEnv, question: string): boolean {
  return timesAsked(env, question) < MAX_SAME_QUESTION;
}

/**
 * "Is there anything else?" after something was done. Each time it follows a new step, so it is
 * a new question (keyed by the turn), not a repeat. Open, not yes-no: callers answer it with their
 * next request as often as with a yes.
 */
export async function* askAnythingElse(env: TurnEnv): Flow {
  env.st.awaiting = 'anything-else';
  yield* say('Is there anything else I can help you with?');
  yield ask(env, `anything-else@${env.ctx.transcript.length}`, 'open');
}

/** The transcript including the caller's current turn, for records made during this turn. */
export function transcriptWithTurn(env: TurnEnv): TranscriptEntry[] {
  const t = [...env.ctx.transcript];
  if (env.turn.kind === 'speech') t.push({ speaker: 'caller', text: env.turn.text, at: env.ctx.now });
  if (env.turn.kind === 'dtmf')
    t.push({ speaker: 'caller', text: `[keypad ${env.turn.digits}]`, at: env.ctx.now });
  return t;
}

/** Save the lead as it stands and tell the channel. Saved first, so a hang-up right after keeps it. */
export async function* emitLead(env: TurnEnv): Flow {
  const lead = env.st.lead;
  const fields = { ...lead.fields };
  if (Object.keys(fields).length === 0) return;
  try {
    await env.tools.saveLead(
      { fields, complete: lead.complete, transcript: transcriptWithTurn(env) },
      env.lifetime,
    );
  } catch (err) {
    env.logger?.error({ err }, 'saving the lead failed');
  }
  yield { type: 'lead', fields, complete: lead.complete };
}

/** Phone-like channels read names and numbers back; on text channels the caller typed them. */
export function isVoice(env: TurnEnv): boolean {
  return env.ctx.channel === 'phone' || env.ctx.channel === 'web';
}

/** A keypad to press keys on: a phone call. Chat and WhatsApp are typed: no "press 1", no pound key. */
export function hasKeypad(env: Pick<TurnEnv, 'ctx'>): boolean {
  return env.ctx.channel === 'phone';
}
