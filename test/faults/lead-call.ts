import { eq } from 'drizzle-orm';
import { parseCallScript } from '../../src/sim/script.js';
import { simulateCall, type SimulationReport, type SimulatorDeps } from '../../src/sim/simulated-call.js';
import type { Db } from '../../src/store/index.js';
import { leads } from '../../src/store/schema/index.js';
import type { TestServer } from '../support/test-server.js';

/**
 * The call every fault test places: through the voice webhook and the media stream, a caller
 * gives their name and need in one breath, then confirms the number they call from. After the
 * second turn the lead has a name, a need and a number.
 */
export const LEAD_CALLER = '+13125550199';
export const LEAD_TURNS = [
  'Hi, this is Maria Lopez, my water heater is leaking, can someone call me back',
  'yes',
] as const;

export function placeLeadCall(
  server: TestServer,
  callerAudio: SimulatorDeps['callerAudio'],
  opts: { extraTurns?: string[] } = {},
): Promise<SimulationReport> {
  return simulateCall(
    parseCallScript({
      from: LEAD_CALLER,
      turns: [...LEAD_TURNS, ...(opts.extraTurns ?? [])].map((say) => ({ say })),
      hangupAfterMs: 300,
      maxDurationMs: 90_000,
    }),
    {
      baseUrl: server.baseUrl,
      authToken: server.app.twilioAuthToken,
      apiKey: server.app.apiKey,
      callerAudio,
    },
  );
}

/** The lead the call left, as stored. */
export async function storedLead(db: Db, callSid: string) {
  const [row] = await db.select().from(leads).where(eq(leads.callSid, callSid));
  return row;
}

/** What the server stored of the call (GET /api/calls/:sid, as the simulator fetched it). */
export function storedCall(report: SimulationReport): {
  status: string;
  turns: Array<{ speaker: string; text: string }>;
  events: Array<{ type: string; seq?: number }>;
} {
  return (report.serverCall as { call: ReturnType<typeof storedCall> }).call;
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
