/** The agents' feed: WebSocket /assist/agent, its wire format and the tickets browsers open it with. */
export {
  feedMessageSchema,
  feedSuggestionSchema,
  parseFeedMessage,
  toFeedMessages,
  type FeedMessage,
  type FeedMessageType,
  type FeedSuggestion,
  type FeedSuggestionDetail,
  type ParsedFeedMessage,
} from './feed-messages.js';
export {
  FeedTickets,
  type FeedTicketClaims,
  type FeedTicketsOptions,
  type RedeemResult,
} from './feed-tickets.js';
export type { FeedScope } from './feed-credentials.js';
export type { FeedConnectionOptions, LiveCall } from './feed-connection.js';
export { ASSIST_FEED_PATH, registerAssistFeed, type AssistFeedDeps } from './feed-route.js';
export { TICKETS_PATH, registerAssistTickets, type TicketRouteDeps } from './ticket-route.js';
