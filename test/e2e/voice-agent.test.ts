import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { espeakCallerAudio, festivalCallerAudio } from '../../src/sim/caller-audio.js';
import { parseCallScript } from '../../src/sim/script.js';
import { simulateCall, type SimulatorDeps } from '../../src/sim/simulated-call.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * The voice agent end to end on the embedded default: real Silero VAD, PocketSphinx and flite
 * in the server, callers spoken by espeak-ng (a different engine from the agent's voice), all
 * through the Twilio protocol in real time.
 */
const hasEspeak = spawnSync('espeak-ng', ['--version']).status === 0;
const hasFestival = spawnSync('text2wave', ['--help']).status !== null;

let server: TestServer;
let sim: SimulatorDeps;

beforeAll(async () => {
  if (!hasEspeak) return;
  server = await startTestServer();
  sim = {
    baseUrl: server.baseUrl,
    authToken: server.app.twilioAuthToken,
    apiKey: server.app.apiKey,
    callerAudio: espeakCallerAudio('en-us+m3', 150),
  };
}, 120_000);
afterAll(async () => server?.stop());

describe.skipIf(!hasEspeak || !hasFestival)(
  'the offline voice agent (callers: Debian espeak-ng and festival)',
  () => {
    it('a caller who asks for the business hours hears the hours spoken back', async () => {
      const report = await simulateCall(
        parseCallScript({ turns: [{ say: 'What are your hours?' }], hangupAfterMs: 300 }),
        { ...sim, callerAudio: festivalCallerAudio('ked_diphone') },
      );
      expect(report.protocolErrors).toEqual([]);
      const agent = (report.transcript ?? []).filter((t) => t.speaker === 'agent').map((t) => t.text);
      expect(agent.length).toBeGreaterThanOrEqual(2);
      // The answer names the opening times of Acme Plumbing (Mon-Fri 8-6, Sat 9-1).
      expect(agent.slice(1).join(' ')).toMatch(/8 a\.m\.|eight|Monday/i);
      expect(report.turns[0]?.latencyMs).toBeLessThan(2500);
    }, 90_000);

    it('a caller who talks over the agent gets clear within 600 ms, and the stored turn is cut where they stopped hearing it', async () => {
      const report = await simulateCall(
        parseCallScript({
          turns: [
            { say: 'What are your hours?' },
            { say: 'Wait, do you fix water heaters?', bargeInAfterMs: 1500 },
          ],
          hangupAfterMs: 300,
        }),
        sim,
      );
      const barge = report.turns[1]!;
      expect(barge.bargeIn).toBe(true);
      expect(barge.clearAfterMs).toBeDefined();
      expect(barge.clearAfterMs!).toBeLessThan(600);
      const cut = (report.transcript ?? []).find((t) => t.speaker === 'agent' && t.interrupted);
      expect(cut).toBeDefined();
      expect(cut!.heardText!.length).toBeGreaterThan(0);
      expect(cut!.heardText!.length).toBeLessThan(cut!.text.length);
      expect(cut!.text.startsWith(cut!.heardText!)).toBe(true);
    }, 90_000);

    it('line noise and a DTMF tone during agent speech do not clear', async () => {
      const report = await simulateCall(
        parseCallScript({
          turns: [
            { say: 'What are your hours?' },
            { noise: { kind: 'white', durationMs: 1200, level: 0.05 }, bargeInAfterMs: 500 },
            { noise: { kind: 'tone', durationMs: 600, level: 0.3, freq: 1209 }, bargeInAfterMs: 0 },
          ],
          hangupAfterMs: 300,
        }),
        sim,
      );
      expect(report.clearsReceived).toBe(0);
    }, 90_000);
  },
);
