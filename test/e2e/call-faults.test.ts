import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventChannel } from '../../src/providers/stt/event-channel.js';
import type {
  SpeechToText,
  SttCapabilities,
  SttEvent,
  SttStream,
  SttStreamOptions,
} from '../../src/providers/stt/stt.js';
import { createFliteTts } from '../../src/providers/tts/index.js';
import { callerAudioSource } from '../../src/sim/caller-audio.js';
import { parseCallScript } from '../../src/sim/script.js';
import { simulateCall, type SimulatorDeps } from '../../src/sim/simulated-call.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * A call whose speech recognizer breaks mid-call (a crashed native binding, a lost connection)
 * ends cleanly with its record written, nothing escapes as an unhandled rejection, and the
 * server goes on serving the next call.
 */
class BreakingStt implements SpeechToText {
  readonly name = 'breaking';
  readonly sampleRate = 8000;
  readonly capabilities: SttCapabilities = { turnEnd: 'vad', interimResults: false };
  started = 0;
  stream(options: SttStreamOptions): SttStream {
    this.started++;
    const out = new EventChannel<SttEvent>();
    return {
      track: options.track,
      push: () => {
        throw new Error('recognizer lost its connection');
      },
      flush: () => out.fail(new Error('recognizer lost its connection')),
      close: () => {
        throw new Error('recognizer close failed');
      },
      expect: () => undefined,
      [Symbol.asyncIterator]: () => out[Symbol.asyncIterator](),
    };
  }
  async close(): Promise<void> {}
}

let server: TestServer;
let deps: SimulatorDeps;
const stt = new BreakingStt();
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  server = await startTestServer({}, { stt });
  deps = {
    baseUrl: server.baseUrl,
    authToken: server.app.twilioAuthToken,
    apiKey: server.app.apiKey,
    callerAudio: callerAudioSource(await createFliteTts({ voice: 'rms' })),
  };
}, 60_000);
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await server?.stop();
});

describe('a call whose recognizer fails', () => {
  it('ends cleanly with its summary and end written, and the next call is served', async () => {
    const first = await simulateCall(
      parseCallScript({
        turns: [{ say: 'I have a question about my bill' }],
        hangupAfterMs: 300,
        maxDurationMs: 30_000,
      }),
      deps,
    );
    expect(stt.started).toBeGreaterThan(0); // the caller was heard as speech, and the recognizer broke
    expect(first.closedBy).toBe('simulator');
    const stored = (first.serverCall as { call: Record<string, unknown> }).call;
    expect(stored['summary']).toMatchObject({ endReason: 'stop' });
    expect(stored).toMatchObject({ status: 'completed', endReason: 'stop' });

    const second = await simulateCall(parseCallScript({ turns: [], hangupAfterMs: 200 }), deps);
    expect(second.answered).toBe('stream');
    expect(second.framesReceived).toBeGreaterThan(50);
    expect(unhandled).toEqual([]);
  }, 90_000);
});
