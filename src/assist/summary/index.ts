export { summarizeCall, writtenSummarySchema, type SummarizeOptions } from './summarize-call.js';
export { summarizeOffline, formatWhen, type WrittenSummary } from './offline-summary.js';
export { loadCallFacts, endedCallsWithoutSummary, NO_FACTS, type CallFacts } from './call-facts.js';
export { PostCallSummaries, onCallEnded, type PostCallSummariesDeps } from './post-call-summaries.js';
export { summarizeEndedCalls } from './summarize-ended-calls.js';
