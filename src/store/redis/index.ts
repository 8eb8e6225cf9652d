export {
  openRedis,
  redactRedisUrl,
  reconnectDelay,
  type OpenRedisOptions,
  type RedisConnection,
  type RedisState,
} from './redis-connection.js';
