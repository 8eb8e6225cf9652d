import type { BusinessId, CallId, CallSid } from '../../../src/ids.js';
import type { CallDetail, CallTurn, ShownSuggestion } from '../../../src/store/index.js';

const t0 = new Date('2026-03-02T15:00:00.000Z');

/** A stored call as CallsRepo.get returns it, built from its turns, events and suggestions. */
export function callDetail(opts: {
  answeredBy?: 'ai' | 'human';
  turns?: Array<[CallTurn['speaker'], string]>;
  events?: Array<[string, Record<string, unknown>]>;
  suggestions?: Array<Pick<ShownSuggestion, 'kind' | 'intent' | 'content'>>;
  durationSec?: number | null;
  fromNumber?: string | null;
}): CallDetail {
  return {
    id: '00000000-0000-4000-8000-0000000000c1' as CallId,
    callSid: 'CA00000000000000000000000000000009' as CallSid,
    businessId: '00000000-0000-4000-8000-000000000001' as BusinessId,
    fromNumber: opts.fromNumber === undefined ? '+14155550100' : opts.fromNumber,
    toNumber: '+15005550006',
    direction: 'inbound',
    channel: 'phone',
    status: 'completed',
    startedAt: t0,
    answeredAt: t0,
    endedAt: new Date(t0.getTime() + 120_000),
    durationSec: opts.durationSec === undefined ? 120 : opts.durationSec,
    recordingPath: null,
    summary: null,
    createdAt: t0,
    streamClaimedAt: t0,
    streamSid: 'MZ1',
    nodeId: 'node-1',
    lastSeenAt: t0,
    endReason: null,
    answeredBy: opts.answeredBy ?? 'ai',
    assistClaimedAt: null,
    statusHistory: [],
    turns: (opts.turns ?? []).map(([speaker, text], i) => ({
      id: i + 1,
      seq: i + 1,
      speaker,
      text,
      startOffsetMs: i * 5000,
      endOffsetMs: i * 5000 + 3000,
      startedAt: new Date(t0.getTime() + i * 5000),
      endedAt: new Date(t0.getTime() + i * 5000 + 3000),
      interrupted: false,
      heardText: null,
      latency: null,
    })),
    events: (opts.events ?? []).map(([type, payload], i) => ({
      id: i + 1,
      type,
      payload,
      occurredAt: new Date(t0.getTime() + i * 1000),
    })),
    suggestions: (opts.suggestions ?? []).map((s, i) => ({
      id: `00000000-0000-4000-8000-00000000000${i}`,
      confidence: 0.9,
      priority: 'medium',
      basis: 'final',
      evidence: {},
      atMs: i * 1000,
      shownAt: new Date(t0.getTime() + i * 1000),
      ...s,
    })),
  };
}
