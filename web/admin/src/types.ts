/**
 * The shapes the dashboard reads from the API (api-contract.md and src/admin/*.ts). Only what
 * pages use is typed; the server may send more.
 */

export type Role = 'owner' | 'agent' | 'admin';
export type Plan = 'FREE' | 'BASIC' | 'PRO';

export interface User {
  id: string;
  email: string;
  role: Role;
  /** null for admins (they see every business). */
  businessId: string | null;
  createdAt?: string;
  lastLoginAt?: string | null;
}

export interface Me {
  principal: 'user' | 'api-key';
  user: User | null;
  csrfToken: string;
}

export interface LoginAnswer {
  token: string;
  expiresIn: number;
  user: User;
  csrfToken: string;
}

/** A page of a list: `nextCursor` goes back as ?cursor= for the next one. */
export interface Paged<T> {
  items: T[];
  nextCursor: string | null;
}

export interface TimeRange {
  open: string;
  close: string;
}
export type Weekday = 'sun' | 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat';
export interface BusinessHours {
  weekly: Partial<Record<Weekday, TimeRange[]>>;
  holidays: { date: string; name?: string; ranges?: TimeRange[] }[];
}
export interface Service {
  id: string;
  name: string;
  aliases?: string[];
  durationMinutes: number;
  price?: string;
  description?: string;
  bookable?: boolean;
}
export interface Faq {
  question: string;
  answer: string;
}
export type LeadField = 'name' | 'phone' | 'address' | 'need' | 'urgency' | 'email';
export interface LeadQuestion {
  field: LeadField;
  prompt?: string;
  required?: boolean;
}

export interface BusinessProfile {
  greeting: string | null;
  afterHoursGreeting: string | null;
  timezone: string;
  hours?: BusinessHours;
  services?: Service[];
  faq?: Faq[];
  leadQuestions?: LeadQuestion[] | null;
  transferNumber?: string | null;
  agentNumber?: string | null;
  emergencyNumber?: string | null;
  [key: string]: unknown;
}

/** A row of the plan table (src/business/plans.ts); Infinity travels as null. */
export interface PlanLimits {
  chatWidget?: 'basic' | 'enhanced' | 'full';
  leadQuestions: number | null;
  voiceAgent?: boolean;
  realtime?: boolean;
  emergencyVoiceCalls: boolean;
  analytics?: 'none' | 'basic' | 'full';
  monitoring?: boolean;
  brandingVisible?: boolean;
}

/** GET /api/business/:id's `business`. */
export interface Business {
  id: string;
  name: string;
  /** The chat widget's key (`data-key` on its script tag): public, it only names the business. */
  publicKey: string;
  trade: string;
  plan: Plan;
  phoneNumbers: string[];
  profile: BusinessProfile;
  notifications: Record<string, Record<string, unknown>>;
  limits: PlanLimits;
  problems: string[];
  createdAt: string;
  updatedAt: string;
}

export interface CallSummary {
  text?: string;
  actionItems?: string[];
  [key: string]: unknown;
}

export interface Call {
  id: string;
  callSid: string;
  businessId: string;
  fromNumber: string | null;
  toNumber: string | null;
  direction: string;
  channel: string;
  status: string;
  startedAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  durationSec: number | null;
  recordingPath: string | null;
  answeredBy: 'ai' | 'human';
  summary: CallSummary | null;
}

/**
 * Per-stage latency of an agent turn (src/voice/latency.ts): each stage's ms after the caller's
 * end of speech; absent when the turn did not reach it.
 */
export interface TurnLatency {
  /** The silence window that decided the caller had finished. */
  endpointingMs?: number;
  sttFinalMs?: number;
  llmFirstTokenMs?: number;
  firstTextMs?: number;
  firstAudioMs?: number;
  /** Voice to voice: the answer's first audio left for the caller. */
  firstFrameSentMs?: number;
  providers?: { stt?: string; llm?: string; tts?: string };
}

export interface Turn {
  seq: number;
  speaker: 'caller' | 'agent' | 'human_agent';
  text: string;
  startOffsetMs?: number | null;
  endOffsetMs?: number | null;
  startedAt?: string;
  endedAt?: string | null;
  interrupted?: boolean;
  heardText?: string | null;
  latency?: TurnLatency | null;
}

export interface CallEvent {
  id?: number;
  type: string;
  payload?: Record<string, unknown>;
  occurredAt: string;
}

export interface Suggestion {
  id: string;
  kind: string;
  intent: string | null;
  content: string;
  confidence: number;
  priority: 'high' | 'medium' | 'low';
  basis: 'interim' | 'final';
  atMs: number;
  shownAt: string;
}

export interface CallDetail extends Call {
  statusHistory: Record<string, unknown>[];
  turns: Turn[];
  events: CallEvent[];
  suggestions: Suggestion[];
}

export type LeadStatus = 'new' | 'contacted' | 'won' | 'lost';
export const LEAD_STATUSES: readonly LeadStatus[] = ['new', 'contacted', 'won', 'lost'];

export interface Lead {
  id: string;
  businessId: string;
  callSid: string | null;
  createdAt: string;
  name: string | null;
  phone: string | null;
  email?: string | null;
  address: string | null;
  need: string | null;
  urgency?: string | null;
  complete: boolean;
  status: LeadStatus;
}

export interface Delivery {
  id: string;
  channel: string;
  to: string;
  status: string;
  attempts: number;
  lastError: string | null;
  sentAt: string | null;
  deliveredAt: string | null;
}

export interface Emergency {
  id: string;
  businessId: string;
  callSid: string | null;
  createdAt: string;
  category: string;
  trigger: string;
  summary: string;
  status: 'open' | 'acknowledged' | 'resolved';
  acknowledgedAt?: string | null;
  acknowledgedBy?: string | null;
  notifications?: Delivery[];
}

/** GET /api/live's events (text/event-stream). */
export interface LiveLine {
  speaker: 'caller' | 'agent';
  text: string;
  final: boolean;
  atMs: number;
}
export interface LiveCall {
  callSid: string;
  from: string | null;
  startedAt: string;
  answeredBy?: 'ai' | 'human';
  transcript: LiveLine[];
}
export interface LiveSnapshot {
  calls: LiveCall[];
}
export interface LiveCallChange {
  callSid: string;
  kind: 'started' | 'ended';
  from?: string | null;
  startedAt?: string;
  reason?: string;
}
export interface LiveTranscript extends LiveLine {
  callSid: string;
}
export interface LiveAlert {
  callSid: string;
  kind: 'emergency' | 'lead' | 'booking' | 'transfer';
  summary: string;
}
