import { greetingFor } from '../../business/index.js';
import type { Brain, BrainOutput, ConversationContext, TurnInput } from '../brain.js';
import { detectEmergency } from '../emergency.js';
import { classify, isNo, isYes } from '../intent.js';
import { contentWords } from '../knowledge.js';
import { noTools, type AgentTools } from '../tools.js';
import { afterDetails, answerBooking, reaskBooking, startBooking, startChange } from './booking-flow.js';
import { alreadyRaised, raiseEmergency } from './emergency-flow.js';
import type { Logger } from '../../shared/index.js';
import { say, type Flow, type TurnEnv } from './env.js';
import { handOver } from './handover.js';
import { answerHours, parseHoursQuestion } from './hours-reply.js';
import { answerQuestion } from './knowledge-flow.js';
import { answerLead, reaskLead, startLead } from './lead-flow.js';
import { loadDialogState } from './state.js';

/**
 * The offline brain: no LLM, just rules over keywords that survive a noisy recogniser, slot
 * filling with read-backs, and the tools it was given. Every caller turn is checked for an
 * emergency first; then an open dialog (lead questions, booking) gets the turn; then intents.
 * It keeps its state in ctx.state and streams each sentence as soon as it is decided.
 */

/** Consecutive silences after which the agent hangs up. */
const MAX_SILENCES = 3;
/** Consecutive misunderstandings after which the agent gives up on the line. */
const MAX_MISSES = 5;

export interface RulesBrainOptions {
  /** Bound to this conversation; without them the brain still emits every event as output. */
  tools?: AgentTools;
  /**
   * The conversation's own signal (e.g. aborted when the server shuts down). Writes that must
   * survive a barge-in (lead, emergency alert, booking) use it instead of the turn's signal.
   */
  lifetime?: AbortSignal;
  logger?: Logger;
}

const GARBLED_HOURS = /^(what|when) (are|is|r|were) (your|you|you guys|ya)\b|^(are|r) you (open|guys)\b/;
const QUESTION_START =
  /^(what|how|do|does|did|can|could|is|are|was|when|where|why|which|who|will|would|should|have|has)\b/;

export class RulesBrain implements Brain {
  readonly name = 'rules';
  private readonly tools: AgentTools;
  private readonly lifetime: AbortSignal;
  private readonly logger: Logger | undefined;

  constructor(opts: RulesBrainOptions = {}) {
    this.tools = opts.tools ?? noTools();
    this.lifetime = opts.lifetime ?? new AbortController().signal;
    this.logger = opts.logger;
  }

  async *respond(turn: TurnInput, ctx: ConversationContext, signal: AbortSignal): AsyncIterable<BrainOutput> {
    if (signal.aborted) return;
    const st = loadDialogState(ctx.state);
    const text = turn.kind === 'speech' ? turn.text : '';
    const env: TurnEnv = {
      turn,
      ctx,
      st,
      tools: this.tools,
      signal,
      lifetime: this.lifetime,
      text,
      intents: classify(text),
      logger: this.logger,
    };
    const said: string[] = [];
    for await (const out of this.handle(env)) {
      if (signal.aborted) return;
      if (out.type === 'say') said.push(out.text);
      yield out;
    }
    if (said.length > 0) st.lastReply = said.join(' ');
  }

  private async *handle(env: TurnEnv): Flow {
    const { turn, ctx, st } = env;
    switch (turn.kind) {
      case 'call-started':
        yield* say(greetingFor(ctx.business, { now: ctx.now, callerName: ctx.callerName }));
        yield { type: 'listen' };
        return;
      case 'no-input':
        yield* this.silence(env);
        return;
      case 'unclear':
        st.silences = 0;
        yield* this.miss(env);
        return;
      case 'dtmf':
        st.silences = 0;
        if (st.lead.active && (yield* answerLead(env))) {
          yield* this.afterLead(env);
          return;
        }
        if (turn.digits.startsWith('0')) {
          yield* handOver(env);
          return;
        }
        yield* say('You can just tell me how I can help.');
        yield { type: 'listen' };
        return;
      case 'speech':
        st.silences = 0;
        if (!turn.text.trim()) {
          yield* this.miss(env);
          return;
        }
        yield* this.speech(env);
        return;
    }
  }

  private async *speech(env: TurnEnv): Flow {
    const { st, ctx } = env;
    const { intents } = env.intents;

    // 1. Emergencies, on every turn, whatever else is going on.
    const emergency = detectEmergency(env.text, ctx.business.trade);
    if (emergency && !alreadyRaised(env, emergency.category)) {
      st.misses = 0;
      st.awaiting = undefined;
      st.booking = undefined;
      st.lead.active = false;
      yield* raiseEmergency(env, emergency);
      return;
    }

    if (intents.has('repeat') && st.lastReply && contentWords(env.text).length <= 3) {
      st.misses = 0;
      yield* say(st.lastReply);
      yield { type: 'listen' };
      return;
    }

    // 2. An open dialog gets the turn first.
    if (st.lead.active) {
      if (yield* answerLead(env)) {
        st.misses = 0;
        yield* this.afterLead(env);
        return;
      }
      if ((yield* this.interjection(env)) === 'reask') yield* reaskLead(env);
      return;
    } else if (st.booking && st.booking.step !== 'details' && st.booking.step !== 'find') {
      if (yield* answerBooking(env)) {
        st.misses = 0;
        return;
      }
      if ((yield* this.interjection(env)) === 'reask') yield* reaskBooking(env);
      return;
    }

    const awaiting = st.awaiting;
    st.awaiting = undefined;
    if (awaiting === 'take-message') {
      if (isYes(env.intents)) {
        st.misses = 0;
        yield* startLead(env, { purpose: st.messagePurpose ?? 'message', intro: 'Sure.' });
        return;
      }
      if (isNo(env.intents)) {
        st.misses = 0;
        yield* say('Okay.');
        yield* this.anythingElse(env);
        return;
      }
    }
    if (awaiting === 'confirm-hours') {
      if (isYes(env.intents)) {
        st.misses = 0;
        yield* say(answerHours({ focus: 'general' }, ctx.business, ctx.now));
        yield* this.anythingElse(env);
        return;
      }
      if (isNo(env.intents) && env.intents.words.length <= 3) {
        st.misses = 0;
        yield* say('Sorry about that. What can I help you with?');
        yield { type: 'listen' };
        return;
      }
    }
    if (awaiting === 'anything-else') {
      if (isNo(env.intents) && !intents.has('book') && !intents.has('hours')) {
        yield* this.goodbye(env);
        return;
      }
      if (isYes(env.intents) && env.intents.words.length <= 3) {
        st.misses = 0;
        yield* say('Sure, what can I help you with?');
        yield { type: 'listen' };
        return;
      }
    }

    // 3. What the caller wants.
    st.misses = 0;
    if (intents.has('goodbye') && !intents.has('book') && !intents.has('hours')) {
      yield* this.goodbye(env);
      return;
    }
    if (intents.has('human')) {
      yield* handOver(env);
      return;
    }
    if (
      intents.has('cancel') &&
      (intents.has('book') || /appointment|booking|reservation/.test(env.text.toLowerCase()))
    ) {
      yield* startChange(env, 'cancel');
      return;
    }
    if (intents.has('reschedule')) {
      yield* startChange(env, 'move');
      return;
    }
    if (intents.has('book') && !intents.has('price')) {
      yield* startBooking(env);
      return;
    }
    if (intents.has('hours')) {
      yield* say(answerHours(parseHoursQuestion(env.intents.words), ctx.business, ctx.now));
      yield* this.anythingElse(env);
      return;
    }
    if (intents.has('message') || intents.has('callback')) {
      const callback = intents.has('callback');
      yield* startLead(env, {
        purpose: callback ? 'callback' : 'message',
        intro: callback ? "Sure, I'll have someone get back to you." : 'Sure, I can take a message.',
        seedText: env.text,
      });
      return;
    }
    if (intents.has('help')) {
      yield* say(
        'I can tell you our hours, answer questions about our services, book an appointment, or take a message. What would you like?',
      );
      yield { type: 'listen' };
      return;
    }
    const isQuestion = QUESTION_START.test(env.intents.words.join(' ')) || env.text.includes('?');
    // "What are your <noise>": the recogniser lost the last word; hours is by far the likeliest.
    if (GARBLED_HOURS.test(env.intents.words.join(' ')) && contentWords(env.text).length <= 2) {
      st.awaiting = 'confirm-hours';
      yield* say("Sorry, I didn't quite catch that. Were you asking about our opening hours?");
      yield { type: 'listen' };
      return;
    }
    if (isQuestion || intents.has('price') || intents.has('services') || intents.has('location')) {
      const res = yield* answerQuestion(env);
      if (res === 'answered') {
        yield* this.anythingElse(env);
        return;
      }
      if (res === 'unknown') {
        st.awaiting = 'take-message';
        st.messagePurpose = 'question';
        yield* say('Can I take your name and number so someone can get back to you?');
        yield { type: 'listen' };
        return;
      }
    }
    if (intents.has('thanks')) {
      yield* say("You're welcome.");
      yield* this.anythingElse(env);
      return;
    }
    if (intents.has('yes') || intents.has('no')) {
      // A bare yes or no with nothing open to answer.
      yield* say('Okay. How can I help you today?');
      yield { type: 'listen' };
      return;
    }
    // A statement of a problem ("my kitchen sink is clogged"): take the details for a call back.
    if (contentWords(env.text).length >= 3) {
      yield* startLead(env, {
        purpose: 'callback',
        intro: "I'm sorry to hear that. Let me take a few details, and someone will get back to you.",
        seedText: env.text,
      });
      return;
    }
    yield* this.miss(env);
  }

  /**
   * A turn in the middle of a dialog that did not answer it: a goodbye, a transfer, an hours
   * question, or noise. 'reask' means the dialog's question should be asked again.
   */
  private async *interjection(env: TurnEnv): Flow<'reask' | 'done'> {
    const { intents } = env.intents;
    if (intents.has('goodbye')) {
      yield* this.goodbye(env);
      return 'done';
    }
    if (intents.has('human')) {
      env.st.booking = undefined;
      env.st.lead.active = false;
      yield* handOver(env);
      return 'done';
    }
    if (intents.has('hours')) {
      yield* say(answerHours(parseHoursQuestion(env.intents.words), env.ctx.business, env.ctx.now));
      return 'reask';
    }
    if (intents.has('repeat') && env.st.lastReply) {
      yield* say(env.st.lastReply);
      yield { type: 'listen' };
      return 'done';
    }
    // Anything else: count it as not understood and ask again.
    env.st.misses += 1;
    if (env.st.misses >= MAX_MISSES) {
      yield* this.miss(env);
      return 'done';
    }
    yield* say("Sorry, I didn't catch that.");
    return 'reask';
  }

  /** When a lead capture finishes, the dialog that started it carries on. */
  private async *afterLead(env: TurnEnv): Flow {
    const { st } = env;
    if (!st.lead.active && st.lead.purpose === 'booking' && st.booking) yield* afterDetails(env);
  }

  private async *anythingElse(env: TurnEnv): Flow {
    env.st.awaiting = 'anything-else';
    yield* say('Is there anything else I can help you with?');
    yield { type: 'listen' };
  }

  private async *goodbye(env: TurnEnv): Flow {
    env.st.lead.active = false;
    env.st.booking = undefined;
    yield* say(`Thanks for calling ${env.ctx.business.name}. Goodbye!`);
    yield { type: 'end-call', reason: 'caller-goodbye' };
  }

  private async *silence(env: TurnEnv): Flow {
    const { st } = env;
    st.silences += 1;
    if (st.silences >= MAX_SILENCES) {
      yield* say("I'll let you go now. Please call back any time. Goodbye.");
      yield { type: 'end-call', reason: 'no-input' };
      return;
    }
    if (st.silences === 1 && (st.lead.active || st.booking)) {
      yield* say('Are you still there?');
      if (st.lead.active) yield* reaskLead(env);
      else yield* reaskBooking(env);
      return;
    }
    yield* say(
      st.silences === 1
        ? 'Are you still there? How can I help?'
        : "Sorry, I can't hear anything. If you're speaking, please try moving somewhere quieter.",
    );
    yield { type: 'listen' };
  }

  private async *miss(env: TurnEnv): Flow {
    const { st } = env;
    st.misses += 1;
    if (st.misses >= MAX_MISSES) {
      yield* say("I'm sorry, the line seems to be bad. Please try calling back. Goodbye.");
      yield { type: 'end-call', reason: 'unintelligible' };
      return;
    }
    if (st.lead.active || st.booking) {
      yield* say("Sorry, I didn't catch that.");
      if (st.lead.active) yield* reaskLead(env);
      else yield* reaskBooking(env);
      return;
    }
    if (st.misses === 1) yield* say("Sorry, I didn't catch that. Could you say it again?");
    else if (st.misses === 2)
      yield* say(
        "Sorry, I still didn't catch that. You can ask about our hours, book an appointment, or I can take a message for the team.",
      );
    else {
      st.awaiting = 'take-message';
      st.messagePurpose = 'message';
      yield* say(
        "I'm having trouble understanding, I'm sorry. Would you like me to take a message so someone can call you back?",
      );
    }
    yield { type: 'listen' };
  }
}
