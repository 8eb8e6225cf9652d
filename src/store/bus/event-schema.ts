import { z } from 'zod';
import type { BusinessId, CallSid } from '../../ids.js';

const callSid = z.custom<CallSid>((v) => typeof v === 'string' && v.length > 0, 'a CallSid');
const businessId = z.custom<BusinessId>((v) => typeof v === 'string' && v.length > 0, 'a business id');

/** What every event on a bus carries: whose call, its place in the call's order, and when. */
const envelope = {
  callSid,
  businessId,
  /** 1, 2, 3, ... per call, no gaps: a subscriber that sees a gap has missed events. */
  seq: z.number().int().positive(),
  /** Wall-clock epoch ms when it was emitted. */
  at: z.number(),
};

/** The schema of one event type: its envelope and its own fields (a member of a discriminated union). */
export function busEventSchema<T extends string, S extends z.ZodRawShape>(type: T, shape: S) {
  return z.object({ type: z.literal(type), ...envelope, ...shape });
}
