export { monotonicClock, systemClock, type Clock } from './clock.js';
export { silentLogger, type Logger } from './logger.js';
export { SentenceSplitter, splitSentences, storableText, words, type SplitOptions } from './text.js';
export { EXPECTED_SPEECH, isExpectedSpeech, type ExpectedSpeech } from './expected-speech.js';
export { deadline, type Deadline } from './deadline.js';
