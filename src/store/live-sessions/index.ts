export {
  liveSessionId,
  liveSessionRecordSchema,
  type LiveSessionRecord,
  type LiveSessions,
} from './live-session.js';
export { MemoryLiveSessions } from './memory-live-sessions.js';
export { RedisLiveSessions, type RedisLiveSessionsOptions } from './redis-live-sessions.js';
