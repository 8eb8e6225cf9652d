export {
  ConversationEndedError,
  type ConversationId,
  type ConversationRef,
  type Conversations,
  type OpenConversationInput,
  type TurnChannel,
  type TurnResult,
} from './contract.js';
export {
  ConversationBusyError,
  ConversationEngine,
  UnknownConversationError,
  type ConversationBrainRequest,
  type ConversationEngineDeps,
} from './conversation-engine.js';
export {
  IDLE_CHANNELS,
  runIdleSweeper,
  sweepIdleConversations,
  type IdleSweepDeps,
  type IdleSweepOptions,
} from './idle-sweeper.js';
