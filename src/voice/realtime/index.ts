/** A call on the OpenAI Realtime API (speech to speech), with the pipeline as its fallback. */
export {
  REALTIME_PROVIDER,
  RealtimeSession,
  type RealtimeHandover,
  type RealtimeSessionDeps,
  type TakeoverSession,
} from './realtime-session.js';
