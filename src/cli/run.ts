import { readFileSync } from 'node:fs';
import { ConfigError } from '../config.js';
import { assistCallCommand } from './assist-call.js';
import { callCommand } from './call.js';
import { whatsappCommand } from './whatsapp.js';
import { loadDotEnv } from './dotenv.js';
import { kbCommand } from './kb.js';
import { serveCommand } from './serve.js';
import { userCommand } from './user.js';

const USAGE = `Usage: switchboard <command> [options]

Commands:
  serve [--port N]            start the server
  call [options]              play Twilio's part of a phone call against a running server
  whatsapp --say TEXT         play Twilio's part of a WhatsApp conversation against a running server
  assist-call [options]       a call a person answers, with assist's suggestions as an agent sees them
  kb add|search|list|delete   manage the knowledge base of a running server
  user add --email E --role R add a dashboard/API user (owner, agent or admin)

Options:
  -h, --help                  show this help ("switchboard <command> --help" for a command's)
  -v, --version               print the version

Settings come from the environment, and from .env in the working directory (see .env.example);
a variable set in the environment wins over .env.`;

/** package.json sits two folders up from both src/cli/ and dist/cli/. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export async function runCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      console.error(USAGE);
      return 1;
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    case '--version':
    case '-v':
    case 'version':
      console.log(version());
      return 0;
  }
  const dotenv = loadDotEnv();
  if (dotenv.kind === 'unsupported')
    console.error(
      `switchboard: ${dotenv.file} was not read: this Node.js (${process.version}) cannot parse .env files; use Node 20.12 or newer, or export its settings`,
    );
  try {
    switch (command) {
      case 'serve':
        return await serveCommand(rest);
      case 'call':
        return await callCommand(rest);
      case 'whatsapp':
        return await whatsappCommand(rest);
      case 'assist-call':
        return await assistCallCommand(rest);
      case 'kb':
        return await kbCommand(rest);
      case 'user':
        return await userCommand(rest);
      default:
        console.error(`switchboard: unknown command "${command}"\n\n${USAGE}`);
        return 1;
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`switchboard: ${err.message}`);
      return 2;
    }
    // parseArgs refuses unknown or malformed options with this code.
    if ((err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(
        `switchboard ${command}: ${(err as Error).message}\nRun "switchboard ${command} --help" for its options.`,
      );
      return 1;
    }
    console.error(`switchboard: ${(err as Error).message}`);
    return 1;
  }
}
