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
export { RulesBrain } from './rules/index.js';
