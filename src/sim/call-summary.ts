import type { SimulationReport } from './simulated-call.js';

/** What the server stored about the call, as far as the summary reads it (GET /api/calls/:callSid). */
interface StoredCallView {
  status?: string;
  durationSec?: number | null;
  endReason?: string | null;
  summary?: { outcome?: string } | null;
  events?: Array<{ type: string; payload?: Record<string, unknown> }>;
}

/** Stored events that say what the call achieved, in the words the summary uses. */
const NOTABLE: Record<string, (p: Record<string, unknown>) => string> = {
  emergency: (p) => `emergency reported${typeof p['category'] === 'string' ? ` (${p['category']})` : ''}`,
  lead: (p) => (p['complete'] === true ? 'lead taken' : 'lead started (incomplete)'),
  booking: (p) => `booking ${typeof p['action'] === 'string' ? p['action'] : 'made'}`,
  'question-for-owner': () => 'question passed on to the owner',
  transfer: () => 'transfer to a person asked for',
  'transfer-result': (p) => (p['transferred'] === true ? 'transferred' : 'transfer failed'),
  'message-taken': () => 'message taken (the plan has no voice agent)',
  'message-missed': () => 'no message left: the owner is told of a missed call',
};

function storedCall(report: SimulationReport): StoredCallView | undefined {
  return (report.serverCall as { call?: StoredCallView } | undefined)?.call;
}

/**
 * A person's view of a simulated call: the conversation with its speakers, what came of it, and
 * how long the agent took to answer each caller turn. The JSON report (--json) has everything.
 */
export function formatCallSummary(report: SimulationReport, opts: { recordingFile?: string } = {}): string {
  const lines: string[] = [];
  const call = storedCall(report);
  lines.push(`Call ${report.callSid}`);
  if (report.answered === 'say-hangup') {
    lines.push(`  The server answered with a message and hung up: "${(report.twimlSay ?? []).join(' ')}"`);
    return lines.join('\n');
  }
  if (report.answered === 'other') {
    lines.push('  The server answered with TwiML the simulator does not follow (no media stream).');
    return lines.join('\n');
  }

  if (report.answered === 'message')
    lines.push(
      "  Answered by message taking (the business's plan has no voice agent): Twilio spoke and listened.",
    );

  lines.push('', 'Transcript');
  if (report.transcript && report.transcript.length > 0) {
    for (const t of report.transcript) {
      const said = t.interrupted ? `${t.heardText ?? ''} [cut off]` : t.text;
      lines.push(`  ${t.speaker.padEnd(6)}  ${said}`);
    }
  } else {
    lines.push(
      '  (not available: the admin API key is needed to read it; set SWITCHBOARD_API_KEY or run where the server keeps DATA_DIR)',
    );
  }

  lines.push('', 'Outcome');
  const notable = (call?.events ?? []).flatMap((e) => {
    const describe = NOTABLE[e.type];
    return describe ? [describe(e.payload ?? {})] : [];
  });
  const ending = call?.summary?.outcome ?? call?.endReason ?? undefined;
  const closed = {
    simulator: 'the caller hung up',
    server: 'the agent hung up',
    timeout: 'the script ran out of time',
  }[report.closedBy];
  lines.push(`  ${[...new Set(notable)].join('; ') || 'nothing recorded beyond the conversation'}`);
  lines.push(
    `  ended: ${closed}${ending ? ` (${ending})` : ''}${call?.durationSec ? `, ${call.durationSec} s` : ''}`,
  );

  if (report.answered === 'message') return lines.join('\n');
  lines.push('', 'Latency (end of caller speech to first agent audio)');
  if (report.firstAudioMs !== undefined)
    lines.push(`  greeting       ${report.firstAudioMs} ms after the stream started`);
  for (const t of report.turns) {
    const what = t.text !== undefined ? `"${t.text}"` : t.kind;
    const latency = t.latencyMs !== undefined ? `${t.latencyMs} ms` : 'no answer';
    const barge = t.bargeIn && t.clearAfterMs !== undefined ? `, agent cut off ${t.clearAfterMs} ms in` : '';
    lines.push(`  turn ${String(t.index + 1).padEnd(9)} ${latency.padEnd(10)} ${what}${barge}`);
  }

  if (report.protocolErrors.length > 0) {
    lines.push('', `Protocol errors (${report.protocolErrors.length})`);
    for (const e of report.protocolErrors) lines.push(`  ${e}`);
  }
  if (opts.recordingFile) lines.push('', `Recording (left caller, right agent): ${opts.recordingFile}`);
  return lines.join('\n');
}
