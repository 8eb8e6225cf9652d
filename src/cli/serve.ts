import { parseArgs } from 'node:util';
import { createApp } from '../app.js';
import { loadConfig } from '../config.js';
import { secretsPath } from '../local-secrets.js';

export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { help: { type: 'boolean' } } });
  if (values.help) {
    console.log(
      'Usage: switchboard serve\nSettings come from the environment: see README.md, "Configuration".',
    );
    return 0;
  }
  const config = loadConfig();
  const app = await createApp(config);
  const address = await app.listen();
  const usesLocalSecrets = !config.twilio.authToken || !config.apiKey;
  console.log(`Switchboard is listening on ${address} (public URL ${config.publicUrl})`);
  console.log(
    `  Twilio voice webhook: ${config.publicUrl}/twilio/voice   status: ${config.publicUrl}/twilio/status`,
  );
  console.log(`  Try a call:           npx switchboard call --say "What are your hours?"`);
  if (usesLocalSecrets) console.log(`  Local Twilio token and admin API key: ${secretsPath(config.dataDir)}`);

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      app.log.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await app.close();
  return 0;
}
