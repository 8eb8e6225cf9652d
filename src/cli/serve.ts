import path from 'node:path';
import { parseArgs } from 'node:util';
import { createApp, type App } from '../app.js';
import { loadConfig, type Config } from '../config.js';
import { secretsPath } from '../local-secrets.js';
import { checkListenAddress, listenProblem } from './listen-check.js';
import { installProcessPolicy } from './process-policy.js';

/** After shutdown, anything still holding the event loop gets this long before the process exits anyway. */
const EXIT_BACKSTOP_MS = 3000;

export const SERVE_HELP = `Usage: switchboard serve [options]

Starts the server: Twilio webhooks and media streams, the admin API, health and metrics.

Options:
  -p, --port N      listen on port N (overrides PORT; default 3000)
  -h, --help        show this help

Every other setting comes from the environment or from .env in the working directory
(see .env.example and README.md, "Configuration"). SIGTERM or Ctrl-C stops it gracefully;
a second one stops it at once.`;

export interface ServeDeps {
  createApp(config: Config): Promise<App>;
  /** The address's problem before anything is opened, or undefined when it is free. */
  checkListenAddress(at: { port: number; host: string }): Promise<string | undefined>;
  /** Ends the process with `code` if something still holds the event loop after `ms`. */
  exitAfter(code: number, ms: number): void;
  err(line: string): void;
}

const processDeps: ServeDeps = {
  createApp: (config) => createApp(config),
  checkListenAddress,
  exitAfter: (code, ms) => setTimeout(() => process.exit(code), ms).unref(),
  err: (line) => console.error(line),
};

export async function serveCommand(argv: string[], deps: ServeDeps = processDeps): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { help: { type: 'boolean', short: 'h' }, port: { type: 'string', short: 'p' } },
  });
  if (values.help) {
    console.log(SERVE_HELP);
    return 0;
  }
  const config = loadConfig(values.port !== undefined ? { ...process.env, PORT: values.port } : process.env);
  const at = { port: config.port, host: config.host };

  // Before the database opens (seconds on a cold start) and takes DATA_DIR's lock.
  const busy = await deps.checkListenAddress(at);
  if (busy) {
    deps.err(`switchboard: ${busy}`);
    return 1;
  }

  let app: App;
  try {
    app = await deps.createApp(config);
  } catch (err) {
    deps.err(`switchboard: could not start: ${(err as Error).message}`);
    // Whatever the half-built app opened must not keep a failed start alive.
    deps.exitAfter(1, EXIT_BACKSTOP_MS);
    return 1;
  }

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
  const uninstall = () => {
    policy.uninstall();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };

  let address: string;
  try {
    address = await app.listen();
  } catch (err) {
    // Another process took the port after the check, or the listen failed otherwise: close what
    // createApp opened (the database, and with it DATA_DIR's lock) and stop.
    deps.err(`switchboard: ${listenProblem(err, at) ?? `could not listen: ${(err as Error).message}`}`);
    uninstall();
    await app
      .close()
      .catch((closeErr: unknown) => app.log.error({ err: closeErr }, 'close after failed start'));
    deps.exitAfter(1, EXIT_BACKSTOP_MS);
    return 1;
  }
  const usesLocalSecrets = !config.twilio.authToken || !config.apiKey;
  console.log(`Switchboard is listening on ${address} (public URL ${config.publicUrl})`);
  console.log(
    `  Twilio voice webhook: ${config.publicUrl}/twilio/voice   status: ${config.publicUrl}/twilio/status`,
  );
  const url = config.publicUrl === 'http://localhost:3000' ? '' : ` --url ${config.publicUrl}`;
  console.log(`  Try a call:           ${invokedAs()} call${url} --say "Are you open on Saturday?"`);
  console.log(
    `  Dashboard:            ${config.publicUrl}/admin   chat widget demo: ${config.publicUrl}/demo`,
  );
  if (usesLocalSecrets) console.log(`  Local Twilio token and admin API key: ${secretsPath(config.dataDir)}`);

  const code = await done;
  uninstall();
  app.log.info({ code }, 'stopped');
  // Everything is closed; a stray handle (a library's timer or worker) must not keep the process up.
  deps.exitAfter(code, EXIT_BACKSTOP_MS);
  return code;
}

/** How this CLI was started, for hints: `switchboard` when installed on PATH, else its path from here. */
export function invokedAs(script: string = process.argv[1] ?? '', cwd: string = process.cwd()): string {
  if (path.basename(script) === 'switchboard') return 'switchboard';
  const rel = path.relative(cwd, script);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : script;
}
