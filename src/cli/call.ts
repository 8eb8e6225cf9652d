import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { writeWav } from '../audio/wav.js';
import { loadConfig } from '../config.js';
import { readLocalSecrets } from '../local-secrets.js';
import { createFliteTts } from '../providers/tts/index.js';
import { defaultCallerAudio } from '../sim/caller-audio.js';
import { parseCallScript } from '../sim/script.js';
import { simulateCall } from '../sim/simulated-call.js';

const HELP = `Usage: switchboard call [options]

Plays Twilio's part of an inbound call against a running Switchboard and prints a JSON report.

  --script FILE     JSON call script: {"to","from","turns":[{"say"}|{"wav"}|{"dtmf"}|{"silenceMs"}, ...]}
  --say TEXT        a caller turn (repeatable; used when no --script)
  --dtmf KEYS       a DTMF turn after the --say turns
  --to NUMBER       called number (default +15005550006, the demo business)
  --from NUMBER     caller's number (default +15555550100)
  --url URL         server's public URL (default PUBLIC_URL, else http://localhost:PORT)
  --record FILE     write both sides to a stereo WAV (left caller, right agent)
  --report FILE     write the JSON report to FILE instead of stdout
The Twilio auth token and admin API key come from TWILIO_AUTH_TOKEN / SWITCHBOARD_API_KEY,
else from DATA_DIR/secrets.json made by a local server.`;

export async function callCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      script: { type: 'string' },
      say: { type: 'string', multiple: true },
      dtmf: { type: 'string' },
      to: { type: 'string' },
      from: { type: 'string' },
      url: { type: 'string' },
      record: { type: 'string' },
      report: { type: 'string' },
      help: { type: 'boolean' },
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
      'switchboard call: no Twilio auth token: set TWILIO_AUTH_TOKEN, or start a local server first.',
    );
    return 2;
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
  const report = await simulateCall(script, {
    baseUrl: values.url ?? config.publicUrl,
    authToken,
    callerAudio: await defaultCallerAudio(() => createFliteTts({ voice: 'rms' })),
    ...(apiKey ? { apiKey } : {}),
  });
  if (values.record) {
    await writeFile(
      values.record,
      writeWav({ sampleRate: 8000, channels: [report.recording.caller, report.recording.agent] }),
    );
  }
  const { recording: _recording, ...printable } = report;
  const json = JSON.stringify(printable, null, 2);
  if (values.report) await writeFile(values.report, json + '\n');
  else console.log(json);
  return report.protocolErrors.length === 0 ? 0 : 3;
}
