import { describe, expect, it } from 'vitest';
import { formatCallSummary } from '../../src/sim/call-summary.js';
import type { SimulationReport } from '../../src/sim/simulated-call.js';

function report(over: Partial<SimulationReport> = {}): SimulationReport {
  return {
    callSid: 'CA00000000000000000000000000000001',
    streamSid: 'MZ00000000000000000000000000000001',
    answered: 'stream',
    firstAudioMs: 412,
    framesSent: 900,
    framesReceived: 700,
    oddFrames: 0,
    marksReceived: 6,
    clearsReceived: 1,
    protocolErrors: [],
    turns: [
      {
        index: 0,
        kind: 'say',
        text: 'My basement is flooding',
        startMs: 9000,
        endMs: 10500,
        bargeIn: false,
        latencyMs: 763,
      },
      { index: 1, kind: 'say', text: 'Stop', startMs: 14000, endMs: 14400, bargeIn: true, clearAfterMs: 380 },
      { index: 2, kind: 'dtmf', startMs: 16000, endMs: 16600, bargeIn: false, latencyMs: 1210 },
    ],
    events: [],
    closedBy: 'simulator',
    recording: { sampleRate: 8000, caller: new Int16Array(0), agent: new Int16Array(0) },
    transcript: [
      { speaker: 'agent', text: 'Thanks for calling Acme Plumbing.', interrupted: false, heardText: null },
      { speaker: 'caller', text: 'my basement is flooding', interrupted: false, heardText: null },
      {
        speaker: 'agent',
        text: 'That sounds urgent. I am alerting the owner now.',
        interrupted: true,
        heardText: 'That sounds urgent.',
      },
    ],
    serverCall: {
      call: {
        status: 'completed',
        durationSec: 21,
        endReason: 'stop',
        summary: { turns: 3 },
        events: [
          { type: 'stream-started', payload: {} },
          { type: 'emergency', payload: { category: 'flooding' } },
          { type: 'lead', payload: { complete: false, fields: ['need'] } },
          { type: 'stream-stopped', payload: { reason: 'stop' } },
        ],
      },
    },
    ...over,
  };
}

describe('the call report a person reads', () => {
  it('shows the transcript with speakers, only what the caller heard of a cut-off turn', () => {
    const text = formatCallSummary(report());
    expect(text).toContain('  agent   Thanks for calling Acme Plumbing.');
    expect(text).toContain('  caller  my basement is flooding');
    expect(text).toContain('  agent   That sounds urgent. [cut off]');
    expect(text).not.toContain('alerting the owner');
  });

  it('says what came of the call and how it ended', () => {
    const text = formatCallSummary(report());
    expect(text).toContain('emergency reported (flooding); lead started (incomplete)');
    expect(text).toContain('ended: the caller hung up (stop), 21 s');
  });

  it('gives the latency of each caller turn, and the turns the agent never answered', () => {
    const text = formatCallSummary(report());
    expect(text).toMatch(/greeting +412 ms/);
    expect(text).toMatch(/turn 1 +763 ms +"My basement is flooding"/);
    expect(text).toMatch(/turn 2 +no answer +"Stop", agent cut off 380 ms in/);
    expect(text).toMatch(/turn 3 +1210 ms +dtmf/);
  });

  it('says why there is no transcript when the server could not be asked for it', () => {
    const text = formatCallSummary(report({ transcript: undefined, serverCall: undefined }));
    expect(text).toContain('not available: the admin API key is needed');
    expect(text).toContain('nothing recorded beyond the conversation');
  });

  it('lists protocol errors and the recording file', () => {
    const text = formatCallSummary(report({ protocolErrors: ['message with streamSid MZx'] }), {
      recordingFile: 'call.wav',
    });
    expect(text).toContain('Protocol errors (1)\n  message with streamSid MZx');
    expect(text).toContain('Recording (left caller, right agent): call.wav');
  });

  it('reports a call answered with a spoken refusal (e.g. during shutdown) in one line', () => {
    const text = formatCallSummary(
      report({ answered: 'say-hangup', twimlSay: ['Please call back in a few minutes.'] }),
    );
    expect(text).toContain('answered with a message and hung up: "Please call back in a few minutes."');
    expect(text).not.toContain('Transcript');
  });
});
