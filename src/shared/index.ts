export { monotonicClock, systemClock, type Clock } from './clock.js';
export { silentLogger, type Logger } from './logger.js';
export { SentenceSplitter, splitSentences, words, type SplitOptions } from './text.js';
