import { parseArgs } from 'node:util';
import { createApp } from '../app.js';
import { loadConfig } from '../config.js';
import { secretsPath } from '../local-secrets.js';
import { installProcessPolicy } from './process-policy.js';

/** After shutdown, anything still holding the event loop gets this long before the process exits anyway. */
const EXIT_BACKSTOP_MS = 3000;

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

  // One graceful shutdown, whatever asks for it first; a second signal does not wait for it.
  let shuttingDown: Promise<number> | undefined;
  let stopped!: (code: number) => void;
  const done = new Promise<number>((resolve) => (stopped = resolve));
  const shutdown = (exitCode: number) => {
    shuttingDown ??= app.shutdown().then(
      () => exitCode,
      (err: unknown) => {
        app.log.error({ err }, 'shutdown failed');
        return 1;
      },
    );
    void shuttingDown.then(stopped);
  };
  const policy = installProcessPolicy(process, { log: app.log, onUncaughtException: () => shutdown(1) });
  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      app.log.warn({ signal }, 'second signal: exiting now; live calls are closed as failed on next start');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    app.log.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down');
    shutdown(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const address = await app.listen();
  const usesLocalSecrets = !config.twilio.authToken || !config.apiKey;
  console.log(`Switchboard is listening on ${address} (public URL ${config.publicUrl})`);
  console.log(
    `  Twilio voice webhook: ${config.publicUrl}/twilio/voice   status: ${config.publicUrl}/twilio/status`,
  );
  console.log(`  Try a call:           npx switchboard call --say "What are your hours?"`);
  if (usesLocalSecrets) console.log(`  Local Twilio token and admin API key: ${secretsPath(config.dataDir)}`);

  const code = await done;
  policy.uninstall();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  app.log.info({ code }, 'stopped');
  // Everything is closed; a stray handle (a library's timer or worker) must not keep the process up.
  setTimeout(() => process.exit(code), EXIT_BACKSTOP_MS).unref();
  return code;
}
