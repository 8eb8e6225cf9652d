export { monotonicClock, systemClock, type Clock } from './clock.js';
export { silentLogger, type Logger } from './logger.js';
