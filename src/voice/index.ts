export {
  CallSession,
  type CallEventSink,
  type CallRecording,
  type CallSessionDeps,
  type ListeningDeps,
  type SessionResume,
  type SessionTurn,
} from './call-session.js';
export { CallEventStream, type CallEventListener } from './call-event-stream.js';
export {
  callEventSchema,
  callOutcomeSchema,
  callSummarySchema,
  cutReasonSchema,
  trackSchema,
  type CallEvent,
  type CallEventBody,
  type CallEventOf,
  type CallEventType,
  type CallOutcome,
  type CallSummary,
  type CutReason,
  type Track,
  VOICE_CHANNELS,
  type VoiceChannel,
} from './events.js';
export { CallLog, type CallLogOptions, type CallLogStore, type LoggedTurn } from './call-log.js';
export { callEndLine } from './call-end-line.js';
export { LiveCalls, type LiveCall } from './live-calls.js';
export type { TurnLatency } from './latency.js';
export type { MediaTransport } from './playout.js';
export { SpeechHandle, type SpeechOutcome } from './speech-handle.js';
export {
  DEFAULT_TURN_TAKING,
  turnTakingFor,
  turnTakingSchema,
  type TurnTakingConfig,
} from './turn-taking.js';
export {
  REALTIME_PROVIDER,
  RealtimeSession,
  type RealtimeHandover,
  type RealtimeSessionDeps,
  type TakeoverSession,
} from './realtime/index.js';
export { Listener, type ListenerEvent, type RecognizerSwitch } from './listener.js';
