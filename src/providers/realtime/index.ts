/** Realtime speech-to-speech providers: the OpenAI Realtime (GA) client the call bridge runs on. */
export {
  connectOpenAiRealtime,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_TRANSCRIPTION_MODEL,
  type ConnectOpenAiRealtimeOptions,
  type RealtimeConnection,
  type RealtimeServerEvent,
  type RealtimeServerEventOf,
  type RealtimeServerEventType,
  type RealtimeSessionConfig,
  type RealtimeTool,
  type RealtimeTurnDetection,
} from './openai-realtime.js';
