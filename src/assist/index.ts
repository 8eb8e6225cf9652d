/**
 * Agent assist (issue 11): the public face. The assist stream's sessions (both sides heard,
 * coached, published and audited), the coach and its gate, the agents' feed, and the after-call
 * summary written for every call.
 */
export {
  ASSIST_INTENTS,
  assistEventSchema,
  assistIntentSchema,
  assistSpeakerSchema,
  suggestionSchema,
  type AssistEvent,
  type AssistEventBody,
  type AssistEventType,
  type AssistIntent,
  type AssistSpeaker,
  type Suggestion,
} from './events.js';
export {
  AssistSession,
  type AssistCoach,
  type AssistGate,
  type AssistSessionDeps,
  type AssistStreamCall,
  type AssistStreamStart,
  type AssistTrack,
  type CustomerSentiment,
  type HeardWords,
  type ListenerFactory,
  type SuggestionCandidate,
  type TrackListener,
} from './assist-session.js';
export {
  createAssistSessions,
  type AssistSessions,
  type AssistSessionsDeps,
  type CoachContext,
} from './assist-sessions.js';
export { ASSIST_PHRASES, Coach, type Candidate, type CoachDeps, type Heard } from './coach/index.js';
export { SuggestionGate, type SuggestionGateOptions } from './suggestion-gate.js';
export * from './feed/index.js';
export {
  endedCallsWithoutSummary,
  formatWhen,
  loadCallFacts,
  NO_FACTS,
  onCallEnded,
  PostCallSummaries,
  summarizeCall,
  summarizeEndedCalls,
  summarizeOffline,
  writtenSummarySchema,
  type CallFacts,
  type PostCallSummariesDeps,
  type SummarizeOptions,
  type WrittenSummary,
} from './summary/index.js';
