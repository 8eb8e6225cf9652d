export type { Database, Db, DbKind, OpenDatabaseOptions } from './database.js';
export { appliedMigrations, MIGRATIONS_FOLDER, openDatabase } from './database.js';
export { retriedTransaction } from './connection-retry.js';
export { DataDirLockedError } from './data-dir-lock.js';
export type { Business, BusinessInput, CreateBusinessInput, UpdateBusinessInput } from './businesses-repo.js';
export {
  BusinessesRepo,
  businessInputSchema,
  createBusinessSchema,
  PhoneNumberTakenError,
  updateBusinessSchema,
} from './businesses-repo.js';
export type {
  AppendTurnInput,
  Call,
  CallDetail,
  CallEvent,
  CallPage,
  CallTurn,
  CompleteTurnInput,
  CreateCallInput,
  ListCallsInput,
  RecordStatusInput,
  RecordStatusResult,
  StatusEvent,
} from './calls-repo.js';
export type { AssistClaim } from './calls-repo.js';
export { CallsRepo, InvalidCursorError } from './calls-repo.js';
export {
  AssistSuggestionsRepo,
  type NewShownSuggestion,
  type ShownSuggestion,
} from './assist-suggestions-repo.js';
export { isTerminalStatus, supersedes } from './call-status-order.js';
export { DEMO_BUSINESS, DEMO_BUSINESS_ID, DEMO_PHONE_NUMBER, seedDemoBusiness } from './seed.js';
export type {
  AnsweredBy,
  SuggestionKind,
  SuggestionPriority,
  BusinessHours,
  BusinessSettings,
  CallChannel,
  CallDirection,
  CallStatus,
  CallSummary,
  Plan,
  Speaker,
  StatusSource,
  Trade,
  TurnLatency,
  Weekday,
} from './schema/index.js';
export {
  ANSWERED_BY,
  SUGGESTION_KINDS,
  SUGGESTION_PRIORITIES,
  businessHoursSchema,
  businessSettingsSchema,
  CALL_CHANNELS,
  CALL_DIRECTIONS,
  CALL_STATUSES,
  PLANS,
  SPEAKERS,
  STATUS_SOURCES,
  TERMINAL_CALL_STATUSES,
  TRADES,
  WEEKDAYS,
} from './schema/index.js';
export { BookingsRepo, type Booking, type BookingResult, type NewBooking } from './bookings-repo.js';
export { LeadsRepo, type Lead, type SaveLeadInput } from './leads-repo.js';
export { EmergenciesRepo, type Emergency, type NewEmergency } from './emergencies-repo.js';
export { QuestionsRepo, type QuestionForOwner } from './questions-repo.js';
export { isUniqueViolation } from './unique-violation.js';
export { rowsOf } from './raw-rows.js';
export {
  ensurePrivateDir,
  preparePrivateDataDir,
  PRIVATE_DIR_MODE,
  writePrivateFile,
} from './private-files.js';
export { EmailTakenError, normalizeEmail, UsersRepo, type NewUser, type User } from './users-repo.js';
export { ROLES, type Role } from './schema/index.js';
export {
  AnalyticsRepo,
  INTENTS,
  type AnalyticsFigures,
  type AnalyticsQuery,
  type Intent,
} from './analytics-repo.js';
export { ROOM_NAME_PATTERN, RoomNameTakenError, RoomsRepo, type Room } from './rooms-repo.js';
export {
  ConversationsRepo,
  type ConversationKey,
  type SaveTurnInput,
  type StoredConversation,
} from './conversations-repo.js';
export { SessionsRepo, type LiveSession } from './sessions-repo.js';
