export {
  ConversationEndedError,
  type ConversationId,
  type ConversationRef,
  type Conversations,
  type OpenConversationInput,
  type TurnChannel,
  type TurnResult,
} from './contract.js';
