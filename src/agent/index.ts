export type {
  Brain,
  BrainOutput,
  BrainState,
  Channel,
  ConversationContext,
  EmergencyCategory,
  EndReason,
  LeadFields,
  TranscriptEntry,
  TurnInput,
} from './brain.js';
export { RulesBrain, type RulesBrainOptions } from './rules/index.js';
export {
  noTools,
  type AgentTools,
  type BookResult,
  type BookingRecord,
  type EmergencyReport,
  type KnowledgeHit,
  type LeadUpdate,
  type Slot,
} from './tools.js';
export {
  detectEmergency,
  categoriesFor,
  weighEmergency,
  EMERGENCY_LABELS,
  type EmergencyDetection,
  type EmergencyEvidence,
} from './emergency.js';
export { findPhrase, hasAnyPhrase, normalize, tokens } from './text.js';
export { contentWords, matchService } from './knowledge.js';
export { answerFromHits } from './rules/knowledge-flow.js';
export { parseRequestedTime, type RequestedTime } from './when.js';
export { createStoreTools, type ConversationBinding, type StoreToolsDeps } from './store-tools.js';
export { LlmBrain } from './llm-brain.js';
export { runTool, toolSpecs, type ToolEnv, type ToolOutcome } from './llm-tools.js';
export { systemPrompt } from './llm-prompt.js';
export { loadLlmState, type LlmState } from './llm-state.js';
