import type { BusinessId } from '../../ids.js';
import {
  byStart,
  liveSessionRecordSchema,
  type LiveSessionRecord,
  type LiveSessions,
} from './live-session.js';

/** The embedded default: one node, so its memory is the whole deployment. */
export class MemoryLiveSessions implements LiveSessions {
  private readonly records = new Map<string, LiveSessionRecord>();
  readonly degraded = false;

  async put(record: LiveSessionRecord): Promise<void> {
    const r = liveSessionRecordSchema.parse(record);
    this.records.set(r.id, r);
  }

  async get(id: string): Promise<LiveSessionRecord | undefined> {
    return this.records.get(id);
  }

  async remove(id: string): Promise<void> {
    this.records.delete(id);
  }

  async list(businessId?: BusinessId): Promise<LiveSessionRecord[]> {
    return [...this.records.values()]
      .filter((r) => businessId === undefined || r.businessId === businessId)
      .sort(byStart);
  }

  async count(): Promise<number> {
    return this.records.size;
  }

  async close(): Promise<void> {
    this.records.clear();
  }
}
