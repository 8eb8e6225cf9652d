import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { writeWav } from '../audio/index.js';
import { loadConfig } from '../config.js';
import { readLocalSecrets, secretsPath } from '../local-secrets.js';
import { createFliteTts } from '../providers/tts/index.js';
import { CALLER_VOICES, callerVoice, installedCallerVoices, isCallerVoiceName } from '../sim/caller-audio.js';
import { formatCallSummary } from '../sim/call-summary.js';
import { CallRefusedError, ServerUnreachableError } from '../sim/errors.js';
import { parseCallScript } from '../sim/script.js';
import { simulateCall } from '../sim/simulated-call.js';

const HELP = `Usage: switchboard call [options]

Plays Twilio's part of an inbound call against a running Switchboard and prints what happened:
the transcript, the outcome and the agent's latency per turn (--json for the full report).

  --say TEXT        a caller turn (repeatable; used when no --script)
  --dtmf KEYS       a DTMF turn after the --say turns
  --script FILE     JSON call script: {"to","from","turns":[{"say"}|{"wav"}|{"dtmf"}|{"silenceMs"}, ...]}
  --voice NAME      the caller's voice (default: the first installed of these)
${CALLER_VOICES.map((v) => `                      ${v.name.padEnd(7)} ${v.about}`).join('\n')}
  --to NUMBER       called number (default +15005550006, the demo business)
  --from NUMBER     caller's number (default +15555550100)
  --url URL         server's public URL (default PUBLIC_URL, else http://localhost:PORT)
  --record FILE     write both sides to a stereo WAV (left caller, right agent)
  --json            print the full JSON report instead of the summary
  --report FILE     also write the full JSON report to FILE
  -h, --help        show this help

The Twilio auth token and admin API key come from TWILIO_AUTH_TOKEN / SWITCHBOARD_API_KEY,
else from DATA_DIR/secrets.json made by a local server (run from the server's folder, or set
DATA_DIR). Exit code 3: the call went through with protocol errors.`;

export async function callCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      script: { type: 'string' },
      say: { type: 'string', multiple: true },
      dtmf: { type: 'string' },
      voice: { type: 'string' },
      to: { type: 'string' },
      from: { type: 'string' },
      url: { type: 'string' },
      record: { type: 'string' },
      json: { type: 'boolean' },
      report: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const config = loadConfig();
  const local = readLocalSecrets(config.dataDir);
  const authToken = config.twilio.authToken ?? local?.twilioAuthToken;
  if (!authToken) {
    console.error(
      `switchboard call: no Twilio auth token: TWILIO_AUTH_TOKEN is not set and ${secretsPath(config.dataDir)} does not exist.\n` +
        'Start the server first ("switchboard serve"), run this from its folder or set DATA_DIR to its data folder, or set TWILIO_AUTH_TOKEN.',
    );
    return 2;
  }

  const installed = await installedCallerVoices();
  if (values.voice !== undefined && !isCallerVoiceName(values.voice)) {
    console.error(
      `switchboard call: unknown voice "${values.voice}"; choose one of ${CALLER_VOICES.map((v) => v.name).join(', ')}`,
    );
    return 1;
  }
  const voice = values.voice ?? installed[0] ?? 'rms';
  if (!installed.includes(voice)) {
    const v = CALLER_VOICES.find((c) => c.name === voice)!;
    console.error(
      `switchboard call: voice "${voice}" needs ${v.engine} with its voice ${v.voice}, which is not installed (bash scripts/setup-debian.sh speech); installed: ${installed.join(', ')}`,
    );
    return 1;
  }

  const scriptJson: Record<string, unknown> = values.script
    ? (JSON.parse(await readFile(values.script, 'utf8')) as Record<string, unknown>)
    : {
        turns: [
          ...(values.say ?? []).map((say) => ({ say })),
          ...(values.dtmf ? [{ dtmf: values.dtmf }] : []),
        ],
      };
  if (values.to) scriptJson['to'] = values.to;
  if (values.from) scriptJson['from'] = values.from;
  const script = parseCallScript(scriptJson);
  const apiKey = config.apiKey ?? local?.apiKey;
  const baseUrl = (values.url ?? config.publicUrl).replace(/\/+$/, '');

  let report;
  try {
    report = await simulateCall(script, {
      baseUrl,
      authToken,
      callerAudio: await callerVoice(voice, (name) => createFliteTts({ voice: name })),
      ...(apiKey ? { apiKey } : {}),
    });
  } catch (err) {
    const advice = callFailureAdvice(err, {
      baseUrl,
      secrets: secretsPath(config.dataDir),
      urlGiven: !!values.url,
    });
    if (!advice) throw err;
    console.error(`switchboard call: ${advice}`);
    return 1;
  }

  if (values.record) {
    await writeFile(
      values.record,
      writeWav({ sampleRate: 8000, channels: [report.recording.caller, report.recording.agent] }),
    );
  }
  const { recording: _recording, ...printable } = report;
  const json = JSON.stringify(printable, null, 2);
  if (values.report) await writeFile(values.report, json + '\n');
  console.log(
    values.json ? json : formatCallSummary(report, values.record ? { recordingFile: values.record } : {}),
  );
  return report.protocolErrors.length === 0 ? 0 : 3;
}

/** What to tell a person whose simulated call did not get going; undefined for anything else. */
export function callFailureAdvice(
  err: unknown,
  at: { baseUrl: string; secrets: string; urlGiven: boolean },
): string | undefined {
  if (err instanceof ServerUnreachableError) {
    return (
      `no Switchboard answers at ${at.baseUrl} (tried ${err.url}: ${err.reason}).\n` +
      (at.urlGiven
        ? 'Check the --url, and that "switchboard serve" is running there.'
        : 'Start one with "switchboard serve", or point the call elsewhere with --url URL (or PUBLIC_URL / PORT, as the server has them).')
    );
  }
  if (err instanceof CallRefusedError && err.status === 403) {
    return (
      `the server refused the call's Twilio signature (${err.step} ${err.url}: HTTP 403).\n` +
      `The simulator signs for ${at.baseUrl}; the server checks against its own PUBLIC_URL: they must be the same\n` +
      `(pass --url with the server's PUBLIC_URL). The auth token must match too: TWILIO_AUTH_TOKEN, or the token in ${at.secrets}.`
    );
  }
  if (err instanceof CallRefusedError) return `${err.message}; see the server's log for why.`;
  return undefined;
}
