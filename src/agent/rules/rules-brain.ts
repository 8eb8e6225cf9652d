import { greetingFor, withoutKeypadOffer } from '../../business/index.js';
import type { Brain, BrainOutput, ConversationContext, EmergencyCategory, TurnInput } from '../brain.js';
import type { EmergencyDetection } from '../emergency.js';
import { isLifeSafety, weighEmergency } from '../emergency.js';
import { classify, isClearYes, isNo, isYes } from '../intent.js';
import { contentWords, matchService } from '../knowledge.js';
import { hasAnyPhrase, tokens } from '../text.js';
import { noTools, type AgentTools } from '../tools.js';
import { afterDetails, answerBooking, reaskBooking, startBooking, startChange } from './booking-flow.js';
import {
  EMERGENCY_CHECK,
  alreadyRaised,
  askEmergencyCheck,
  raiseEmergency,
  raiseKeyed,
  reaskEmergencyCheck,
} from './emergency-flow.js';
import type { ExpectedSpeech, Logger } from '../../shared/index.js';
import {
  ask,
  askAnythingElse,
  hasKeypad,
  isVoice,
  mayAskAgain,
  say,
  type Flow,
  type TurnEnv,
} from './env.js';
import { handOver } from './handover.js';
import { answerHours, parseHoursQuestion } from './hours-reply.js';
import { answerQuestion } from './knowledge-flow.js';
import { answerLead, reaskLead, startLead } from './lead-flow.js';
import { loadDialogState, type Awaiting } from './state.js';

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

/**
 * "Can I book", "could someone call me", "I'd like to leave a message": asking for something to be
 * done, not for information, so it goes to its flow rather than to the knowledge base.
 */
const REQUEST =
  /^((hi|hello|yes|yeah|um|uh|so|and|ok|okay) )*((can|could|would|will|may) (i|you|we|someone|somebody|one of you)( please)? (book|make|schedule|get|have|leave|speak|talk|send|come|call|set up|cancel|move|reschedule|put|transfer|take|give|arrange)|(i would like|i want|i need|i am calling|i am looking)(?! to (know|ask|find out|check)))\b/;
/** Words of a problem: only these earn an "I'm sorry to hear that". */
/** Words of a request for something (as opposed to a report of a problem). */
const WANTS = /\b(would like|i'd like|like to|want|wanna|i need an?|get an?)\b/;

const PROBLEM = [
  'broke*',
  'broken',
  'leak*',
  'clog*',
  'block*',
  'not working',
  'stopped',
  'will not',
  'does not',
  'backed up',
  'drip*',
  'burst',
  'crack*',
  'damage*',
  'stuck',
  'nois*',
  'smell*',
  'pain*',
  'hurt*',
  'ache*',
  'problem*',
  'issue*',
  'trouble',
  'flood*',
  'overflow*',
  'swollen',
  'bleed*',
  'chipped',
  'no hot water',
];
const REPAIR = ['repair*', 'fix*', 'broke*', 'broken', 'not working', 'leak*', 'clog*', 'problem'];
const QUOTE = ['quote', 'estimate', 'price', 'pricing', 'cost'];
const SOMETHING_ELSE = ['something else', 'other', 'else', 'neither', 'none'];
const HOME_TRADES = new Set(['plumbing', 'hvac', 'electrical', 'general']);

const GARBLED_HOURS = /^(what|when) (are|is|r|were) (your|you|you guys|ya)\b|^(are|r) you (open|guys)\b/;
const QUESTION_START =
  /^(what|how|do|does|did|can|could|is|are|was|when|where|why|which|who|will|would|should|have|has|(i|we) (would like|want|need|wanted) to (know|ask|find out|check)|i am calling to (ask|find out|check)|i was wondering|i wonder|tell me)\b/;

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
    let listened = false;
    let listenedHint: ExpectedSpeech = 'open';
    for await (const out of this.handle(env)) {
      if (signal.aborted) return;
      if (out.type === 'say') said.push(out.text);
      if (out.type === 'listen') {
        listened = true;
        listenedHint = out.hint ?? 'open';
      }
      yield out;
    }
    if (said.length > 0) st.lastReply = said.join(' ');
    // Count the question this reply asked, in a row, so no flow asks it a third time.
    if (!listened) st.asked = undefined;
    else {
      const key = env.question ?? `said:${tokens(said.at(-1) ?? '').join(' ')}`;
      st.asked = { key, times: st.asked?.key === key ? st.asked.times + 1 : 1, hint: listenedHint };
    }
  }

  private async *handle(env: TurnEnv): Flow {
    const { turn, ctx, st } = env;
    switch (turn.kind) {
      case 'call-started':
        {
          const greeting = greetingFor(ctx.business, { now: ctx.now, callerName: ctx.callerName });
          // Only a phone line has a keypad: elsewhere the emergency key is not offered.
          yield* say(hasKeypad(env) ? greeting : withoutKeypadOffer(greeting));
        }
        yield ask(env, 'greeting', 'open');
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
        if (st.awaiting === 'emergency-check' && st.emergencyCheck) {
          yield* this.answerEmergencyCheck(env);
          return;
        }
        // The greeting says "for emergencies press 1": during it, and whenever no lead or booking
        // is collecting keys (a number), 1 is the emergency route.
        if (turn.digits.startsWith('1') && !st.lead.active && !st.booking) {
          if (!alreadyRaised(env, 'other')) {
            st.awaiting = undefined;
            st.booking = undefined;
            st.lead.active = false;
            yield* raiseKeyed(env);
            return;
          }
        }
        if (st.lead.active && (yield* answerLead(env))) {
          yield* this.afterLead(env);
          return;
        }
        if (turn.digits.startsWith('0')) {
          yield* handOver(env);
          return;
        }
        yield* say('You can just tell me how I can help.');
        yield ask(env, 'open:keypad', 'open');
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
    const { st, ctx, turn } = env;
    // 0. The answer to "is water or gas leaking right now?".
    if (st.awaiting === 'emergency-check' && st.emergencyCheck) {
      yield* this.answerEmergencyCheck(env);
      return;
    }

    // 1. Emergencies, on every turn, whatever else is going on: strong evidence raises at once,
    // weak evidence (one ambiguous word, a doubtful reading, only the other readings) asks first.
    const evidence = weighEmergency(
      {
        text: env.text,
        alternatives: turn.kind === 'speech' ? turn.alternatives : undefined,
        confidence: turn.kind === 'speech' ? turn.confidence : undefined,
        // Typed channels have no recognizer to narrow.
        narrow: isVoice(env) && st.asked !== undefined && st.asked.hint !== 'open',
      },
      ctx.business.trade,
    );
    if (evidence && this.mayRaise(env, evidence.detection.category)) {
      if (evidence.strength === 'strong') {
        yield* this.raise(env, evidence.detection);
        return;
      }
      if (!st.emergencyAsked) {
        const before = st.awaiting;
        yield* askEmergencyCheck(env, evidence.detection);
        if (st.emergencyCheck && before) st.emergencyCheck.before = before;
        return;
      }
    }
    yield* this.understand(env);
  }

  /** Not raised yet; and while an emergency's details are being taken, only a new danger to life. */
  private mayRaise(env: TurnEnv, category: EmergencyCategory): boolean {
    if (alreadyRaised(env, category)) return false;
    const handling = env.st.lead.active && env.st.lead.purpose === 'emergency';
    return !handling || isLifeSafety(category);
  }

  private async *raise(env: TurnEnv, d: EmergencyDetection, said?: string): Flow {
    const { st } = env;
    st.misses = 0;
    st.awaiting = undefined;
    st.booking = undefined;
    st.lead.active = false;
    yield* raiseEmergency(env, d, said === undefined ? {} : { said });
  }

  /** Yes (or 1, or the answer itself reports it) raises; no carries on with what they wanted. */
  private async *answerEmergencyCheck(env: TurnEnv): Flow {
    const { st, turn, ctx } = env;
    const check = st.emergencyCheck;
    if (!check) return;
    st.awaiting = undefined;
    const keyed = turn.kind === 'dtmf';
    // A plain yes: "perfect" or "okay" from noise must not wake the owner.
    const yes = keyed
      ? turn.digits.startsWith('1')
      : isClearYes(env.intents) || /^(yes|yeah|yep|yup)$/.test(env.intents.words[0] ?? '');
    // To "is water leaking right now?", any "no" or "not" without a plain yes is a no ("not emergency").
    const no = keyed
      ? !yes
      : isNo(env.intents) ||
        (!yes && hasAnyPhrase(env.intents.words, ['no', 'not', 'nope', 'nah', 'nothing']));
    const inAnswer =
      turn.kind === 'speech'
        ? weighEmergency({ text: turn.text, alternatives: turn.alternatives }, ctx.business.trade)
        : undefined;
    const category = check.category as EmergencyCategory;
    // The answer raises on a plain yes, or when it is itself a clear report ("the basement is full of water").
    if (yes || (inAnswer?.strength === 'strong' && !no)) {
      const said =
        turn.kind === 'speech' ? `${check.text} (asked if it is an emergency: "${turn.text}")` : check.text;
      yield* this.raise(env, inAnswer?.detection ?? { category, trigger: check.trigger, score: 3 }, said);
      return;
    }
    if (!no && mayAskAgain(env, EMERGENCY_CHECK)) {
      yield* reaskEmergencyCheck(env, category);
      return;
    }
    // Not an emergency (or no answer twice): carry on with what they wanted. A "no" that says
    // more ("no, I just need a quote") is taken as the request itself.
    st.emergencyCheck = undefined;
    st.awaiting = check.before as Awaiting | undefined;
    // (Without its "no": to a restored "anything else?" that would read as a goodbye.)
    const rest = tokens(env.text)
      .filter((w) => !['no', 'nope', 'nah', 'not', 'it', 'is'].includes(w))
      .join(' ');
    const text = no && contentWords(rest).length >= 2 ? rest : check.text;
    const carried = this.withSpeech(env, text, text === check.text ? check.alternatives : []);
    yield* this.understand(carried);
    env.question = carried.question;
  }

  /** The same turn's environment, as if the caller had said `text`. */
  private withSpeech(env: TurnEnv, text: string, alternatives: readonly string[]): TurnEnv {
    return { ...env, turn: { kind: 'speech', text, alternatives }, text, intents: classify(text) };
  }

  /** Everything but emergencies: the open dialog, then what the caller wants. */
  private async *understand(env: TurnEnv): Flow {
    const { st, ctx } = env;
    const { intents } = env.intents;

    // "Say that again": the last reply again, with its hint; it counts as asking its question
    // again, so a misheard "repeat" cannot make the agent ask the same thing a third time.
    if (
      intents.has('repeat') &&
      st.lastReply &&
      contentWords(env.text).length <= 3 &&
      (!st.asked || mayAskAgain(env, st.asked.key))
    ) {
      st.misses = 0;
      yield* say(st.lastReply);
      yield ask(env, st.asked?.key ?? 'repeat', st.asked?.hint ?? 'open');
      return;
    }

    // 2. An open dialog gets the turn first.
    if (st.lead.active) {
      if (yield* answerLead(env)) {
        st.misses = 0;
        yield* this.afterLead(env);
        return;
      }
      const r = yield* this.interjection(env);
      if (r !== 'done') yield* reaskLead(env, r === 'reask-sorry' ? "Sorry, I didn't catch that." : '');
      return;
    } else if (st.booking && st.booking.step !== 'details' && st.booking.step !== 'find') {
      if (yield* answerBooking(env)) {
        st.misses = 0;
        return;
      }
      const r = yield* this.interjection(env);
      if (r === 'reask-sorry') yield* say("Sorry, I didn't catch that.");
      if (r !== 'done') yield* reaskBooking(env);
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
        yield* askAnythingElse(env);
        return;
      }
    }
    if (awaiting === 'confirm-hours') {
      if (isYes(env.intents)) {
        st.misses = 0;
        yield* say(answerHours({ focus: 'general' }, ctx.business, ctx.now));
        yield* askAnythingElse(env);
        return;
      }
      if (isNo(env.intents) && env.intents.words.length <= 3) {
        st.misses = 0;
        yield* say('Sorry about that. What can I help you with?');
        yield ask(env, 'open:what', 'open');
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
        yield ask(env, 'open:what', 'open');
        return;
      }
    }
    if (awaiting === 'choices' && (yield* this.answerChoices(env))) return;

    // 3. What the caller wants. (A turn that ends up not understood keeps counting its misses.)
    const missesBefore = st.misses;
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
    const booking = intents.has('book') && !intents.has('price');
    if (booking && !intents.has('hours')) {
      yield* startBooking(env);
      return;
    }
    if (intents.has('hours')) {
      yield* say(answerHours(parseHoursQuestion(env.intents.words), ctx.business, ctx.now));
      yield* askAnythingElse(env);
      return;
    }
    const words = env.intents.words.join(' ');
    const isQuestion = QUESTION_START.test(words) || env.text.includes('?');
    // "What are your <noise>": the recogniser lost the last word; hours is by far the likeliest.
    if (GARBLED_HOURS.test(words) && contentWords(env.text).length <= 2) {
      st.awaiting = 'confirm-hours';
      yield* say("Sorry, I didn't quite catch that. Were you asking about our opening hours?");
      yield ask(env, 'confirm-hours', 'yes-no');
      return;
    }
    // Knowledge questions go to the profile and the knowledge base before any flow takes them
    // ("do you offer free estimates?" is a question, not a request for a quote).
    const asksToKnow =
      (isQuestion || intents.has('price') || intents.has('services') || intents.has('location')) &&
      !REQUEST.test(words);
    if (asksToKnow) {
      const res = yield* answerQuestion(env);
      if (res === 'answered') {
        yield* askAnythingElse(env);
        return;
      }
      if (res === 'unknown') {
        st.awaiting = 'take-message';
        st.messagePurpose = 'question';
        yield* say('Can I take your name and number so someone can get back to you?');
        yield ask(env, 'offer-message', 'yes-no');
        return;
      }
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
      yield ask(env, 'help', 'open');
      return;
    }
    if (intents.has('thanks')) {
      yield* say("You're welcome.");
      yield* askAnythingElse(env);
      return;
    }
    if (intents.has('yes') || intents.has('no')) {
      // A bare yes or no with nothing open to answer.
      yield* say('Okay. How can I help you today?');
      yield ask(env, 'open:what', 'open');
      return;
    }
    // A statement ("my kitchen sink is clogged"): take the details for a call back. Sympathy only
    // for a problem: "I'm sorry to hear that" to "I'd like a new faucet" answers nothing they said.
    const problem = hasAnyPhrase(env.intents.words, PROBLEM);
    // A problem or one of the business's services in a half-heard sentence is still a need.
    const named = matchService(env.text, ctx.business.services) !== undefined;
    // "I would like a water heater service" with its booking word lost: a bookable service asked
    // for, with no problem described, is a booking.
    const bookable = ctx.business.services.filter((s) => s.bookable);
    if (!problem && WANTS.test(words) && matchService(env.text, bookable)) {
      yield* startBooking(env);
      return;
    }
    if (contentWords(env.text).length >= 3 || ((problem || named) && contentWords(env.text).length >= 2)) {
      yield* startLead(env, {
        purpose: 'callback',
        intro: problem
          ? "I'm sorry to hear that. Let me take a few details, and someone will get back to you."
          : 'Sure. Let me take a few details, and someone will get back to you.',
        seedText: env.text,
      });
      return;
    }
    st.misses = missesBefore;
    yield* this.miss(env);
  }

  /** The answer to "is it a repair, a quote, our hours, or something else?". True when handled. */
  private async *answerChoices(env: TurnEnv): Flow<boolean> {
    const words = env.intents.words;
    const { intents } = env.intents;
    if (intents.has('hours') || intents.has('book') || intents.has('message')) return false;
    if (hasAnyPhrase(words, QUOTE) || hasAnyPhrase(words, REPAIR)) {
      env.st.misses = 0;
      const quote = hasAnyPhrase(words, QUOTE);
      yield* startLead(env, {
        purpose: 'callback',
        intro: quote
          ? "Sure, I'll take a few details so someone can get back to you with a quote."
          : "Sure, I'll take a few details so someone can get back to you about the repair.",
        seedText: env.text,
      });
      return true;
    }
    if (hasAnyPhrase(words, SOMETHING_ELSE) && words.length <= 4) {
      env.st.misses = 0;
      yield* say('Sure. Tell me in a few words what you need.');
      yield ask(env, 'open:what', 'open');
      return true;
    }
    return false;
  }

  /**
   * A turn in the middle of a dialog that did not answer it: a goodbye, a transfer, an hours
   * question, or noise. 'reask' means the dialog's question should be asked again.
   */
  private async *interjection(env: TurnEnv): Flow<'reask' | 'reask-sorry' | 'done'> {
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
    if (intents.has('repeat') && env.st.lastReply && (!env.st.asked || mayAskAgain(env, env.st.asked.key))) {
      yield* say(env.st.lastReply);
      yield ask(env, env.st.asked?.key ?? 'repeat', env.st.asked?.hint ?? 'open');
      return 'done';
    }
    // Anything else: count it as not understood and ask again (the flow moves on after twice).
    env.st.misses += 1;
    if (env.st.misses >= MAX_MISSES) {
      yield* this.miss(env);
      return 'done';
    }
    return 'reask-sorry';
  }

  /** When a lead capture finishes, the dialog that started it carries on. */
  private async *afterLead(env: TurnEnv): Flow {
    const { st } = env;
    if (!st.lead.active && st.lead.purpose === 'booking' && st.booking) yield* afterDetails(env);
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
    if (st.silences === 1 && st.awaiting === 'emergency-check' && st.emergencyCheck) {
      yield* reaskEmergencyCheck(env, st.emergencyCheck.category as EmergencyCategory);
      return;
    }
    yield* say(
      st.silences === 1
        ? 'Are you still there? How can I help?'
        : "Sorry, I can't hear anything. If you're speaking, please try moving somewhere quieter.",
    );
    yield ask(env, `silence:${st.silences}`, 'open');
  }

  private async *miss(env: TurnEnv): Flow {
    const { st } = env;
    st.misses += 1;
    if (st.misses >= MAX_MISSES) {
      yield* say("I'm sorry, the line seems to be bad. Please try calling back. Goodbye.");
      yield { type: 'end-call', reason: 'unintelligible' };
      return;
    }
    if (st.lead.active) {
      yield* reaskLead(env, "Sorry, I didn't catch that.");
      return;
    }
    if (st.booking) {
      yield* say("Sorry, I didn't catch that.");
      yield* reaskBooking(env);
      return;
    }
    if (st.awaiting === 'emergency-check' && st.emergencyCheck) {
      yield* this.answerEmergencyCheck(env);
      return;
    }
    // First miss: say so and offer the likely choices. Second: offer to take a message. After
    // that, take it: the caller is never asked the same thing a third time.
    if (st.misses === 1 && mayAskAgain(env, 'choices')) {
      st.awaiting = 'choices';
      yield* say(`Sorry, I didn't catch that. ${choicesFor(env)}`);
      yield ask(env, 'choices', 'open');
      return;
    }
    if (st.misses <= 2 && mayAskAgain(env, 'offer-message')) {
      st.awaiting = 'take-message';
      st.messagePurpose = 'message';
      yield* say(
        `Sorry, I still didn't get that.${emergencyLine(env)} Would you like me to take a message so someone can call you back?`,
      );
      yield ask(env, 'offer-message', 'yes-no');
      return;
    }
    yield* startLead(env, {
      purpose: 'message',
      intro:
        "I'm sorry, I'm having trouble hearing you. Let me take your details so someone can call you back.",
    });
  }
}

/** "Is it a repair, a quote, our hours, or something else?", by what the business does. */
export function choicesFor(env: TurnEnv): string {
  const b = env.ctx.business;
  const items: string[] = [];
  if (HOME_TRADES.has(b.trade)) items.push('a repair', 'a quote');
  if (b.services.some((s) => s.bookable) && !HOME_TRADES.has(b.trade)) items.push('an appointment');
  items.push('our hours');
  return `Is it ${items.join(', ')}, or something else?`;
}

/** For a trade with emergencies, the sure way to reach help. */
function emergencyLine(env: TurnEnv): string {
  if (['legal', 'salon'].includes(env.ctx.business.trade)) return '';
  return hasKeypad(env) ? " If it's an emergency, press 1." : " If it's an emergency, tell me right away.";
}
