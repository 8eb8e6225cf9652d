export { Coach, type CoachDeps, type Heard } from './coach.js';
export type { Candidate } from './candidate.js';
export type { SentimentReading, SentimentLabel, SentimentTrend } from './sentiment.js';
export { findIntents, type IntentFinding, type IntentEvidence } from './intents.js';
export { scoreSentiment } from './sentiment.js';
export { ASSIST_PHRASES } from './assist-phrases.js';
