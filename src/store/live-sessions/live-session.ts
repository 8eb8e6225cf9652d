import { z } from 'zod';
import type { BusinessId, CallSid } from '../../ids.js';
import { CALL_CHANNELS } from '../schema/index.js';

/**
 * One live session of the deployment (a call on the phone, WhatsApp or the web, or a chat): what
 * /health's `sessions.totalActiveSessions` counts and GET /sessions can enrich with (which node,
 * last activity, turns). Its id is GET /sessions's: `<type>-<CallSid>`, e.g. `phone-CA…`.
 */
export const liveSessionRecordSchema = z.object({
  id: z.string().regex(/^[a-z]+-[A-Za-z0-9_.-]{1,80}$/),
  type: z.enum(CALL_CHANNELS),
  callSid: z
    .string()
    .min(1)
    .transform((s) => s as CallSid),
  businessId: z
    .string()
    .min(1)
    .transform((s) => s as BusinessId),
  /** The node serving it (its media socket lives there). */
  nodeId: z.string().min(1),
  startedAt: z.iso.datetime(),
  lastActivityAt: z.iso.datetime(),
  /** Caller and agent turns so far. */
  turns: z.number().int().nonnegative(),
  /** Free-form: in-progress, transferring, ending... */
  state: z.string().max(40).optional(),
});
export type LiveSessionRecord = z.output<typeof liveSessionRecordSchema>;

export const liveSessionId = (type: LiveSessionRecord['type'], callSid: string): string =>
  `${type}-${callSid}`;

/**
 * The live sessions of every node. Writes are this node's own sessions; reads see the deployment
 * (on the embedded default, this node is the deployment). No method waits long on anything: while
 * the shared store is away, reads answer from this node's memory and `degraded` says so.
 */
export interface LiveSessions {
  /** Adds or replaces one of this node's sessions. */
  put(record: LiveSessionRecord): Promise<void>;
  get(id: string): Promise<LiveSessionRecord | undefined>;
  remove(id: string): Promise<void>;
  /** Oldest first; of one business, or all. */
  list(businessId?: BusinessId): Promise<LiveSessionRecord[]>;
  count(): Promise<number>;
  /** True while answers come from this node's memory only (the shared store is away). */
  readonly degraded: boolean;
  close(): Promise<void>;
}

export const byStart = (a: LiveSessionRecord, b: LiveSessionRecord): number =>
  a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
