import { greetingFor } from '../../business/greeting.js';
import type { Brain, BrainOutput, ConversationContext, TurnInput } from '../brain.js';
import { classify, isNo, isYes, type IntentResult } from '../intent.js';
import { sentences } from '../text.js';
import { answerHours, parseHoursQuestion } from './hours-reply.js';
import { loadDialogState, type DialogState } from './state.js';

/**
 * The offline brain: no LLM, just rules over keywords that survive a noisy recogniser. It keeps
 * its state in ctx.state and streams each sentence as soon as it is decided.
 */

/** Consecutive silences after which the agent hangs up. */
const MAX_SILENCES = 3;
/** Consecutive misunderstandings after which the agent gives up on the line. */
const MAX_MISSES = 5;

export class RulesBrain implements Brain {
  async *respond(turn: TurnInput, ctx: ConversationContext, signal: AbortSignal): AsyncIterable<BrainOutput> {
    if (signal.aborted) return;
    const st = loadDialogState(ctx.state);
    const said: string[] = [];
    for await (const out of this.handle(turn, ctx, st)) {
      if (signal.aborted) return;
      if (out.type === 'say') said.push(out.text);
      yield out;
    }
    if (said.length > 0) st.lastReply = said.join(' ');
  }

  private async *handle(
    turn: TurnInput,
    ctx: ConversationContext,
    st: DialogState,
  ): AsyncGenerator<BrainOutput> {
    switch (turn.kind) {
      case 'call-started':
        yield* say(greetingFor(ctx.business, { now: ctx.now, callerName: ctx.callerName }));
        yield { type: 'listen' };
        return;
      case 'no-input':
        yield* this.silence(ctx, st);
        return;
      case 'unclear':
        st.silences = 0;
        yield* this.miss(ctx, st);
        return;
      case 'dtmf':
        st.silences = 0;
        yield* say('You can just tell me how I can help.');
        yield { type: 'listen' };
        return;
      case 'speech': {
        st.silences = 0;
        if (!turn.text.trim()) {
          yield* this.miss(ctx, st);
          return;
        }
        yield* this.speech(classify(turn.text), ctx, st);
        return;
      }
    }
  }

  private async *speech(
    r: IntentResult,
    ctx: ConversationContext,
    st: DialogState,
  ): AsyncGenerator<BrainOutput> {
    const { intents } = r;
    const awaiting = st.awaiting;
    st.awaiting = undefined;

    if (intents.has('repeat') && st.lastReply) {
      st.misses = 0;
      st.awaiting = awaiting;
      yield* say(st.lastReply);
      yield { type: 'listen' };
      return;
    }
    if (intents.has('hours')) {
      st.misses = 0;
      yield* say(answerHours(parseHoursQuestion(r.words), ctx.business, ctx.now));
      yield* this.anythingElse(st);
      return;
    }
    if (intents.has('goodbye') || (awaiting === 'anything-else' && isNo(r))) {
      yield* this.goodbye(ctx);
      return;
    }
    if (awaiting === 'anything-else' && isYes(r)) {
      st.misses = 0;
      yield* say('Sure, what can I help you with?');
      yield { type: 'listen' };
      return;
    }
    if (awaiting === 'take-message' && isYes(r)) {
      st.misses = 0;
      yield* say('Okay. Please tell me your name and the best number to reach you.');
      yield { type: 'listen' };
      return;
    }
    if (intents.has('thanks')) {
      st.misses = 0;
      yield* say("You're welcome.");
      yield* this.anythingElse(st);
      return;
    }
    yield* this.miss(ctx, st);
  }

  private async *anythingElse(st: DialogState): AsyncGenerator<BrainOutput> {
    st.awaiting = 'anything-else';
    yield* say('Is there anything else I can help you with?');
    yield { type: 'listen' };
  }

  private async *goodbye(ctx: ConversationContext): AsyncGenerator<BrainOutput> {
    yield* say(`Thanks for calling ${ctx.business.name}. Goodbye!`);
    yield { type: 'end-call', reason: 'caller-goodbye' };
  }

  private async *silence(ctx: ConversationContext, st: DialogState): AsyncGenerator<BrainOutput> {
    st.silences += 1;
    if (st.silences >= MAX_SILENCES) {
      yield* say("I'll let you go now. Please call back any time. Goodbye.");
      yield { type: 'end-call', reason: 'no-input' };
      return;
    }
    yield* say(
      st.silences === 1
        ? 'Are you still there? How can I help?'
        : "Sorry, I can't hear anything. If you're speaking, please try moving somewhere quieter.",
    );
    yield { type: 'listen' };
  }

  private async *miss(_ctx: ConversationContext, st: DialogState): AsyncGenerator<BrainOutput> {
    st.misses += 1;
    if (st.misses >= MAX_MISSES) {
      yield* say("I'm sorry, the line seems to be bad. Please try calling back. Goodbye.");
      yield { type: 'end-call', reason: 'unintelligible' };
      return;
    }
    if (st.misses === 1) yield* say("Sorry, I didn't catch that. Could you say it again?");
    else if (st.misses === 2)
      yield* say(
        "Sorry, I still didn't catch that. You can ask about our hours, or I can take a message for the team.",
      );
    else {
      st.awaiting = 'take-message';
      yield* say(
        "I'm having trouble understanding, I'm sorry. Would you like me to take a message so someone can call you back?",
      );
    }
    yield { type: 'listen' };
  }
}

async function* say(text: string): AsyncGenerator<BrainOutput> {
  for (const s of sentences(text)) yield { type: 'say', text: s };
}
