export type { RateCounter, RateDecision } from './rate-counter.js';
export { MemoryRateCounter } from './memory-rate-counter.js';
export { RedisRateCounter, type RedisRateCounterOptions } from './redis-rate-counter.js';
