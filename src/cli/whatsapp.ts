import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { parseE164 } from '../ids.js';
import { readLocalSecrets, secretsPath } from '../local-secrets.js';
import { DEMO_PHONE_NUMBER } from '../store/index.js';
import { whatsappChat } from '../sim/whatsapp-chat.js';
import { callFailureAdvice } from './call.js';

const HELP = `Usage: switchboard whatsapp --say TEXT [--say TEXT ...] [options]

Plays Twilio's part of a WhatsApp conversation against a running Switchboard: each --say is an
inbound message (signed as Twilio signs it), and the agent's replies are read from the outbox,
where they wait for Twilio's Messages API. Owner alerts a message caused (an emergency) are listed.

  --say TEXT        a customer message (repeatable, in order)
  --from NUMBER     the customer (default +15555550100)
  --to NUMBER       the business's WhatsApp number (default ${DEMO_PHONE_NUMBER}, the demo business)
  --url URL         server's public URL (default PUBLIC_URL, else http://localhost:PORT)
  -h, --help        show this help

The Twilio auth token and admin API key come from TWILIO_AUTH_TOKEN / SWITCHBOARD_API_KEY, else
from DATA_DIR/secrets.json made by a local server.`;

export async function whatsappCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      say: { type: 'string', multiple: true },
      from: { type: 'string' },
      to: { type: 'string' },
      url: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const messages = values.say ?? [];
  if (messages.length === 0) {
    console.error('switchboard whatsapp: give at least one --say "message"');
    return 1;
  }
  const from = values.from ?? '+15555550100';
  const to = values.to ?? DEMO_PHONE_NUMBER;
  for (const [name, n] of [
    ['--from', from],
    ['--to', to],
  ] as const) {
    if (parseE164(n) !== n) {
      console.error(`switchboard whatsapp: ${name} must be an E.164 number like +15555550100, got "${n}"`);
      return 1;
    }
  }
  const config = loadConfig();
  const local = readLocalSecrets(config.dataDir);
  const authToken = config.twilio.authToken ?? local?.twilioAuthToken;
  const apiKey = config.apiKey ?? local?.apiKey;
  if (!authToken || !apiKey) {
    console.error(
      `switchboard whatsapp: no Twilio auth token or admin API key: set TWILIO_AUTH_TOKEN and SWITCHBOARD_API_KEY, or run this where ${secretsPath(config.dataDir)} exists (start the server first).`,
    );
    return 2;
  }
  const baseUrl = (values.url ?? config.publicUrl).replace(/\/+$/, '');
  try {
    for await (const x of whatsappChat(messages, { baseUrl, authToken, apiKey, from, to })) {
      console.log(`Customer: ${x.sent}`);
      if (x.replies.length === 0) console.log('Agent:    (no reply yet)');
      for (const r of x.replies) console.log(`Agent:    ${r}`);
      if (x.alerts.length > 0)
        console.log(`Owner:    alerted by ${x.alerts.map((a) => `${a.kind} (${a.cause})`).join(', ')}`);
    }
  } catch (err) {
    const advice = callFailureAdvice(err, {
      baseUrl,
      secrets: secretsPath(config.dataDir),
      urlGiven: !!values.url,
    });
    if (!advice) throw err;
    console.error(`switchboard whatsapp: ${advice}`);
    return 1;
  }
  return 0;
}
