import { asBusinessId, asCallSid } from '../../../src/ids.js';
import { liveSessionId, type LiveSessionRecord } from '../../../src/store/live-sessions/index.js';

/** A phone session of business b1 on node-a unless told otherwise; the id follows the type. */
export const record = (callSid: string, over: Partial<LiveSessionRecord> = {}): LiveSessionRecord => ({
  id: liveSessionId(over.type ?? 'phone', callSid),
  type: 'phone',
  callSid: asCallSid(callSid),
  businessId: asBusinessId('b1'),
  nodeId: 'node-a',
  startedAt: '2026-12-07T04:00:00.000Z',
  lastActivityAt: '2026-12-07T04:00:00.000Z',
  turns: 0,
  ...over,
});
