import type { BusinessProfile } from '../business/index.js';
import type { BusinessId, CallSid } from '../ids.js';
import type { KnowledgeHit } from '../knowledge/index.js';
import type { SpeechToText } from '../providers/stt/index.js';
import { SpeechDetector, type VoiceActivityDetector } from '../providers/vad/index.js';
import { monotonicClock, type Clock, type Logger } from '../shared/index.js';
import type { AssistSuggestionsRepo, CallsRepo } from '../store/index.js';
import type { EventBus } from '../store/bus/index.js';
import { Listener, turnTakingFor, type TurnTakingConfig } from '../voice/index.js';
import {
  AssistSession,
  type AssistCoach,
  type AssistGate,
  type AssistStreamCall,
  type AssistStreamStart,
  type ListenerFactory,
} from './assist-session.js';
import { Coach } from './coach/index.js';
import type { AssistEvent } from './events.js';
import { SuggestionGate } from './suggestion-gate.js';

/** What a call's coach is built from (src/assist/coach's CoachDeps). */
export interface CoachContext {
  business: BusinessProfile;
  businessId: BusinessId;
  searchKnowledge(query: string, signal: AbortSignal): Promise<KnowledgeHit[]>;
}

export interface AssistSessionsDeps {
  /** The recognizers in failover order (each side walks the chain on its own); empty: assist cannot listen. */
  stt: readonly SpeechToText[];
  vad: { createStream(sampleRate: 8000): VoiceActivityDetector };
  /** Turn taking for a business's calls (its settings' turnTaking); default turnTakingFor(undefined). */
  turnTaking?: (businessId: BusinessId) => TurnTakingConfig | Promise<TurnTakingConfig>;
  bus: Pick<EventBus<AssistEvent>, 'publish'>;
  calls: Pick<CallsRepo, 'appendTurn'>;
  suggestions: Pick<AssistSuggestionsRepo, 'record'>;
  businessProfile(businessId: BusinessId): Promise<BusinessProfile | undefined>;
  searchKnowledge(businessId: BusinessId, query: string, signal: AbortSignal): Promise<KnowledgeHit[]>;
  /** At most one new card this often unless high priority (Config.assist.cardIntervalMs). */
  cardIntervalMs: number;
  /** One call's coach and gate; default `new Coach(ctx)` and `new SuggestionGate({ cardIntervalMs })`. */
  coachFor?(ctx: CoachContext, opts: { cardIntervalMs: number }): { coach: AssistCoach; gate: AssistGate };
  /** The after-call summary job; each ended session queues its call. */
  summaries?: { enqueue(callSid: AssistStreamStart['callSid']): void };
  /**
   * The open model's vocabulary key for a business's assisted calls (SpeechToText.useVocabulary);
   * default the business id (the receptionist's words only).
   */
  vocabularyKey?: (businessId: BusinessId) => string;
  /** No result this long after a side stopped speaking: its recognizer is replaced (chains only). */
  providerStallMs?: number;
  log: Logger;
  /** Timers and the listeners' clock; default monotonicClock. */
  clock?: Clock;
  /** Wall-clock epoch ms for events; default Date.now. */
  now?: () => number;
  retryDelaysMs?: readonly number[];
  drainMs?: number;
}

export interface AssistSessions {
  /** A session for a call whose assist stream just started (telephony's `startAssist`). */
  start(s: AssistStreamStart): Promise<AssistStreamCall>;
  /** Sessions still listening. */
  live(): number;
  /** The calls of a business assist listens to on this node (an agent's feed announces them on connect). */
  list(businessId: BusinessId): Array<{ callSid: CallSid; source: 'dial' | 'transfer'; startedAt: number }>;
  /** Ends every live session (server shutdown) and waits for them. */
  close(): Promise<void>;
}

/** The assist sessions of this node: the factory the assist stream route calls, one per call. */
export function createAssistSessions(deps: AssistSessionsDeps): AssistSessions {
  const clock = deps.clock ?? monotonicClock;
  const sessions = new Map<AssistSession, AssistStreamStart & { startedAt: number }>();
  let closing = false;

  const listenerFactory = (
    s: AssistStreamStart,
    turnTaking: TurnTakingConfig,
  ): ListenerFactory | undefined => {
    if (deps.stt.length === 0) return undefined;
    return (track, handlers) => {
      const vad = deps.vad.createStream(8000);
      const listener = new Listener({
        detector: new SpeechDetector(vad, {
          minSpeechMs: turnTaking.minTurnSpeechMs,
          minSilenceMs: turnTaking.endOfTurnSilenceMs,
        }),
        stt: deps.stt,
        config: turnTaking,
        clock,
        track,
        // The recognizer's open model carries this business's words (registered under its id).
        vocabulary: deps.vocabularyKey?.(s.businessId) ?? s.businessId,
        ...(deps.providerStallMs !== undefined ? { stallMs: deps.providerStallMs } : {}),
        onSwitch: (sw) => s.log.warn({ track, from: sw.from, to: sw.to }, 'assist: recognizer switched'),
        onEvent: handlers.onEvent,
        onError: handlers.onError,
      });
      return {
        push: (pcm) => listener.push(pcm),
        drain: (ms) => listener.drain(ms),
        close: () => {
          listener.close();
          vad.close().catch(() => undefined);
        },
      };
    };
  };

  return {
    async start(s) {
      if (closing) throw new Error('assist is shutting down');
      const business = await deps.businessProfile(s.businessId);
      if (!business) throw new Error('business of this call is gone');
      const turnTaking = forListeningIn((await deps.turnTaking?.(s.businessId)) ?? turnTakingFor(undefined));
      const { coach, gate } = (deps.coachFor ?? defaultCoach)(
        {
          business,
          businessId: s.businessId,
          searchKnowledge: (query, signal) => deps.searchKnowledge(s.businessId, query, signal),
        },
        { cardIntervalMs: deps.cardIntervalMs },
      );
      const session = new AssistSession({
        start: s,
        coach,
        gate,
        listen: listenerFactory(s, turnTaking),
        bus: deps.bus,
        calls: deps.calls,
        suggestions: deps.suggestions,
        clock,
        ...(deps.now ? { now: deps.now } : {}),
        ...(deps.retryDelaysMs ? { retryDelaysMs: deps.retryDelaysMs } : {}),
        ...(deps.drainMs !== undefined ? { drainMs: deps.drainMs } : {}),
        onEnded: (callSid) => {
          sessions.delete(session);
          try {
            deps.summaries?.enqueue(callSid);
          } catch (err) {
            s.log.warn(
              { err: err instanceof Error ? err.message : String(err) },
              'assist: summary not queued',
            );
          }
        },
      });
      sessions.set(session, { ...s, startedAt: Date.now() });
      return session;
    },
    live: () => sessions.size,
    list: (businessId) =>
      [...sessions.values()]
        .filter((s) => s.businessId === businessId)
        .map(({ callSid, source, startedAt }) => ({ callSid, source, startedAt })),
    async close() {
      closing = true;
      await Promise.all([...sessions.keys()].map((s) => s.end('shutdown')));
    },
  };
}

function defaultCoach(
  ctx: CoachContext,
  opts: { cardIntervalMs: number },
): { coach: AssistCoach; gate: AssistGate } {
  return { coach: new Coach(ctx), gate: new SuggestionGate({ cardIntervalMs: opts.cardIntervalMs }) };
}

/**
 * Assist takes no turns: it only needs each utterance's words as soon as they are final. So the
 * receptionist's end-of-turn wait is cut short and nothing is held for the rest of a phrase that
 * sounds unfinished (that hold alone put a final, and its card, 1.3 s after the voice ended); a
 * pause mid-sentence splits it in two finals, which costs the coach nothing.
 */
export const ASSIST_END_OF_UTTERANCE_MS = 300;

export function forListeningIn(t: TurnTakingConfig): TurnTakingConfig {
  return {
    ...t,
    endOfTurnSilenceMs: Math.min(t.endOfTurnSilenceMs, ASSIST_END_OF_UTTERANCE_MS),
    unfinishedExtraMs: 0,
  };
}
