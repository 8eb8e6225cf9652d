export { MemoryOnceKeys, type MemoryOnceKeysOptions, type OnceKeys } from './once-keys.js';
export { RedisOnceKeys, type RedisOnceKeysOptions } from './redis-once-keys.js';
