import { ConfigError } from '../config.js';
import { callCommand } from './call.js';
import { kbCommand } from './kb.js';
import { serveCommand } from './serve.js';

const USAGE = `Usage: switchboard <command> [options]

Commands:
  serve                 start the server (PORT, PUBLIC_URL, DATA_DIR, DATABASE_URL, ...)
  call [options]        simulate a phone call against a running server, as Twilio would
  kb add FILE | kb search QUERY
                        add a document to the knowledge base / search it (through the running server)
  help                  show this help

Run "switchboard <command> --help" for a command's options.`;

export async function runCli(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await serveCommand(rest);
      case 'call':
        return await callCommand(rest);
      case 'kb':
        return await kbCommand(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return command === undefined ? 1 : 0;
      default:
        console.error(`switchboard: unknown command "${command}"\n\n${USAGE}`);
        return 1;
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`switchboard: ${err.message}`);
      return 2;
    }
    console.error(`switchboard: ${(err as Error).message}`);
    return 1;
  }
}
