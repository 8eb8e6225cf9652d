import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { parseFeedMessage, type FeedMessage } from '../assist/index.js';
import { loadConfig } from '../config.js';
import { readLocalSecrets, secretsPath } from '../local-secrets.js';
import { createFliteTts } from '../providers/tts/index.js';
import { simulateAssistedCall, type AssistTurn } from '../sim/assisted-call.js';
import {
  callerVoice,
  installedCallerVoices,
  isCallerVoiceName,
  type CallerVoiceName,
} from '../sim/caller-audio.js';
import { callFailureAdvice } from './call.js';

const HELP = `Usage: switchboard assist-call [options]

Plays Twilio's part of a call a person at the business answers, with agent assist listening to both
sides (POST /twilio/assist/voice, then the two-track stream), while watching the agents' feed
(/assist/agent) the way an agent's screen does. Prints each suggestion as it arrives, how long
after the customer stopped speaking, then the call's written summary and action items.

  --customer TEXT   a customer turn (repeatable)
  --agent TEXT      an agent turn (repeatable); turns play in the order given
  --voice NAME      the customer's voice (default: the first installed of slt, kal, ked, espeak, rms)
  --agent-voice NAME  the agent's voice (default: rms, flite's built-in voice)
  --to NUMBER       the business's number (default +15005550006, the demo business)
  --from NUMBER     the customer's number (default +15555550100)
  --url URL         server's public URL (default PUBLIC_URL, else http://localhost:PORT)
  --seed000         send media frames in seed 000's shape (top-level callSid, ISO timestamps)
  --json            print every feed message and the stored call as JSON
  -h, --help        show this help

Example:
  switchboard assist-call --customer "Hi, how much does a drain cleaning cost?" \\
    --agent "Let me check that for you." --customer "And can you come tomorrow morning?"

The Twilio auth token and the feed key come from TWILIO_AUTH_TOKEN and ASSIST_API_KEY (else
SWITCHBOARD_API_KEY), else from DATA_DIR/secrets.json made by a local server.`;

interface Watched {
  at: number;
  message: FeedMessage;
}

export async function assistCallCommand(argv: string[]): Promise<number> {
  const { values, tokens } = parseArgs({
    args: argv,
    tokens: true,
    options: {
      customer: { type: 'string', multiple: true },
      agent: { type: 'string', multiple: true },
      voice: { type: 'string' },
      'agent-voice': { type: 'string' },
      to: { type: 'string' },
      from: { type: 'string' },
      url: { type: 'string' },
      seed000: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  // The turns in the order they were given on the command line.
  const lines = tokens.flatMap((t) =>
    t.kind === 'option' && (t.name === 'customer' || t.name === 'agent') && t.value !== undefined
      ? [{ speaker: t.name, text: t.value }]
      : [],
  );
  if (!lines.some((l) => l.speaker === 'customer')) {
    console.error('switchboard assist-call: give at least one --customer turn (see --help)');
    return 1;
  }
  const config = loadConfig();
  const local = readLocalSecrets(config.dataDir);
  const authToken = config.twilio.authToken ?? local?.twilioAuthToken;
  const feedKey = config.assist.apiKey ?? config.apiKey ?? local?.apiKey;
  if (!authToken || !feedKey) {
    console.error(
      `switchboard assist-call: no Twilio auth token or feed key: set TWILIO_AUTH_TOKEN and ASSIST_API_KEY, or run it where ${secretsPath(config.dataDir)} exists (start the server first).`,
    );
    return 2;
  }
  const installed = await installedCallerVoices();
  const pick = (name: string | undefined, fallback: CallerVoiceName): CallerVoiceName | string => {
    const v = name ?? fallback;
    return isCallerVoiceName(v) && installed.includes(v) ? v : `unknown or not installed voice "${v}"`;
  };
  const customerVoice = pick(values.voice, installed[0] ?? 'rms');
  const agentVoice = pick(values['agent-voice'], 'rms');
  for (const v of [customerVoice, agentVoice])
    if (!isCallerVoiceName(v)) {
      console.error(`switchboard assist-call: ${v}; installed: ${installed.join(', ')}`);
      return 1;
    }
  const flite = (voice: 'rms' | 'awb' | 'kal' | 'slt') => createFliteTts({ voice });
  const voices = {
    customer: await callerVoice(customerVoice as CallerVoiceName, flite),
    agent: await callerVoice(agentVoice as CallerVoiceName, flite),
  };
  const turns: AssistTurn[] = [];
  for (const l of lines) {
    turns.push({ speaker: l.speaker, text: l.text, audio: await voices[l.speaker]({ say: l.text }) });
    turns.push({ pause: 600 });
  }

  const baseUrl = (values.url ?? config.publicUrl).replace(/\/+$/, '');
  const watched: Watched[] = [];
  const feed = await openFeed(baseUrl, feedKey, (m) => {
    watched.push({ at: performance.now(), message: m });
    if (!values.json) printLive(m);
  }).catch((err: unknown) => err as Error);
  if (feed instanceof Error) {
    console.error(`switchboard assist-call: the agents' feed did not open: ${feed.message}`);
    return 1;
  }
  let report;
  try {
    report = await simulateAssistedCall(
      { baseUrl, authToken },
      {
        from: values.from ?? '+15555550100',
        to: values.to ?? '+15005550006',
        turns,
        ...(values.seed000 ? { frameShape: 'seed000' as const } : {}),
      },
    );
  } catch (err) {
    feed.close();
    const advice = callFailureAdvice(err, {
      baseUrl,
      secrets: secretsPath(config.dataDir),
      urlGiven: !!values.url,
    });
    if (!advice) throw err;
    console.error(`switchboard assist-call: ${advice}`);
    return 1;
  }
  // The last words' suggestions and the call's end come a moment after the stream stops.
  await waitFor(
    () => watched.some((w) => w.message.type === 'call-ended' && w.message.callSid === report.callSid),
    8000,
  );
  feed.close();
  const stored = await waitForSummary(baseUrl, config.apiKey ?? local?.apiKey, report.callSid, 15_000);

  if (values.json) {
    console.log(
      JSON.stringify({ call: report.callSid, feed: watched.map((w) => w.message), stored }, null, 2),
    );
    return report.errors.length === 0 ? 0 : 3;
  }
  if (report.answered !== 'assist')
    console.log(`\nThe server did not listen in (answered: ${report.answered}).`);
  console.log(`\nVoice end -> first suggestion, per customer turn:`);
  // A turn's cards: those that came after its voice started and before the next customer turn's.
  const startOf = (v: (typeof report.voiceEnds)[number]) => v.perfMs - (v.streamMs - v.startStreamMs);
  for (const v of report.voiceEnds) {
    const next = report.voiceEnds.find((n) => n.turn > v.turn);
    const first = watched.find(
      (w) =>
        w.message.type === 'suggestion' &&
        w.message.callSid === report.callSid &&
        w.at >= startOf(v) &&
        (!next || w.at < startOf(next)),
    );
    const label = `  "${(v.text ?? '').slice(0, 60)}"`;
    const ms = first ? Math.round(first.at - v.perfMs) : undefined;
    console.log(
      ms === undefined
        ? `${label}: no suggestion`
        : ms < 0
          ? `${label}: ${-ms} ms before the customer finished`
          : `${label}: ${ms} ms`,
    );
  }
  const summary = stored?.summary as { text?: string; actionItems?: string[] } | null | undefined;
  if (summary?.text) {
    console.log(`\nSummary: ${summary.text}`);
    for (const item of summary.actionItems ?? []) console.log(`  - ${item}`);
  } else
    console.log('\nNo written summary yet (GET /api/calls/' + report.callSid + ' shows it once written).');
  return report.errors.length === 0 ? 0 : 3;
}

function printLive(m: FeedMessage): void {
  switch (m.type) {
    case 'suggestion':
      console.log(`  [${m.priority}] ${m.content} (confidence ${m.confidence.toFixed(2)})`);
      break;
    case 'transcript':
      if (m.final && m.text) console.log(`${m.speaker === 'customer' ? 'Customer' : 'Agent'}: ${m.text}`);
      break;
    case 'sentiment':
      console.log(`  (mood ${m.label}, ${m.trend})`);
      break;
    case 'status':
      console.log(`  (assist ${m.state}${m.reason ? `: ${m.reason}` : ''})`);
      break;
    default:
      break;
  }
}

function openFeed(baseUrl: string, key: string, onMessage: (m: FeedMessage) => void): Promise<WebSocket> {
  const url = new URL('/assist/agent', baseUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${key}` } });
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
    ws.on('message', (data, isBinary) => {
      const parsed = parseFeedMessage(isBinary ? data : data.toString());
      if (!parsed.ok) return;
      if (parsed.message.type === 'ready') resolve(ws);
      onMessage(parsed.message);
    });
  });
}

async function waitFor(done: () => boolean, maxMs: number): Promise<void> {
  const until = Date.now() + maxMs;
  while (!done() && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
}

async function waitForSummary(
  baseUrl: string,
  apiKey: string | undefined,
  callSid: string,
  maxMs: number,
): Promise<{ summary?: unknown } | undefined> {
  if (!apiKey) return undefined;
  const until = Date.now() + maxMs;
  let call: { summary?: { text?: string } | null } | undefined;
  while (Date.now() < until) {
    const res = await fetch(`${baseUrl}/api/calls/${callSid}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    if (res.ok) {
      call = ((await res.json()) as { call: typeof call }).call;
      if (call?.summary?.text) return call;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return call;
}
