import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type Env } from '../config.js';
import { detectFormat, mimeOf } from '../knowledge/index.js';
import { readLocalSecrets } from '../local-secrets.js';

const HELP = `Usage: switchboard kb <command> [options]

Manages the knowledge base of a running Switchboard through its admin API (the server owns the
database; a second process writing its data folder would lose data).

Commands:
  add FILE              add a document (.txt, .md, .html, .pdf)
  search QUESTION...    show what the receptionist would answer from
  list                  list the documents
  delete ID             delete a document

Options:
  --title TEXT          document title (add; default: the document's own title or file name)
  --business ID         business UUID (default: the first business, e.g. the demo)
  -k N                  passages to show (search; default 3)
  --all                 also show passages judged not relevant (search)
  --json                print the server's JSON
  --url URL             server's URL (default PUBLIC_URL, else http://localhost:PORT)
  -h, --help            show this help ("switchboard kb <command> --help" for one command's)
The admin API key comes from SWITCHBOARD_API_KEY, else from DATA_DIR/secrets.json made by a local server.`;

const COMMON = `  --business ID         business UUID (default: the first business, e.g. the demo)
  --json                print the server's JSON
  --url URL             server's URL (default PUBLIC_URL, else http://localhost:PORT)`;

/** One command's help: `switchboard kb add --help`. */
const SUB_HELP: Record<string, string> = {
  add: `Usage: switchboard kb add FILE [--title TEXT] [options]

Adds a document to the knowledge base; it is searchable when the command returns.
FILE is .txt, .md, .html or .pdf.

  --title TEXT          document title (default: the document's own title or file name)
${COMMON}`,
  search: `Usage: switchboard kb search QUESTION... [-k N] [--all] [options]

Shows the passages the receptionist would answer QUESTION from (nothing: it passes the question on).

  -k N                  passages to show (default 3)
  --all                 also show passages judged not relevant
${COMMON}`,
  list: `Usage: switchboard kb list [options]

Lists the documents: ID, source, chunk count and title.

${COMMON}`,
  delete: `Usage: switchboard kb delete ID [options]

Deletes a document (IDs from "switchboard kb list").

${COMMON}`,
};

export interface KbCommandDeps {
  env?: Env;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

type Json = Record<string, unknown>;

export async function kbCommand(argv: string[], deps: KbCommandDeps = {}): Promise<number> {
  const out = deps.out ?? ((s: string) => console.log(s));
  const err = deps.err ?? ((s: string) => console.error(s));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      title: { type: 'string' },
      business: { type: 'string' },
      k: { type: 'string', short: 'k' },
      all: { type: 'boolean' },
      json: { type: 'boolean' },
      url: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [sub, ...args] = positionals;
  if (values.help || !sub) {
    (sub || values.help ? out : err)((sub && SUB_HELP[sub]) || HELP);
    return values.help ? 0 : 1;
  }
  const config = loadConfig(deps.env ?? process.env);
  const apiKey = config.apiKey ?? readLocalSecrets(config.dataDir)?.apiKey;
  if (!apiKey) {
    err('switchboard kb: no API key: set SWITCHBOARD_API_KEY, or run where the server keeps its DATA_DIR.');
    return 2;
  }
  const base = (values.url ?? config.publicUrl).replace(/\/+$/, '');
  const call = async (method: string, path: string, init: { body?: Uint8Array; type?: string } = {}) => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${apiKey}`, ...(init.type ? { 'content-type': init.type } : {}) },
        ...(init.body !== undefined ? { body: init.body } : {}),
      });
    } catch (e) {
      throw new Error(
        `no Switchboard server answers at ${base} (${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}); start one with "switchboard serve" or pass --url`,
      );
    }
    const text = await res.text();
    const body = (text ? JSON.parse(text) : {}) as Json;
    if (!res.ok)
      throw new Error(
        `${res.status}: ${typeof body['error'] === 'string' ? body['error'] : text}${typeof body['message'] === 'string' ? ` (${body['message']})` : ''}`,
      );
    return body;
  };
  const business = values.business ? `businessId=${encodeURIComponent(values.business)}` : '';

  try {
    switch (sub) {
      case 'add': {
        const file = args[0];
        if (!file || args.length > 1) {
          err('switchboard kb add: give one FILE (.txt, .md, .html or .pdf)');
          return 1;
        }
        const filename = basename(file);
        const type = mimeOf(detectFormat({ filename }));
        const bytes = await readFile(file).catch((e: NodeJS.ErrnoException) => {
          throw new Error(e.code === 'ENOENT' ? `no file ${file} (in ${process.cwd()})` : e.message);
        });
        const query = new URLSearchParams({ filename });
        if (values.title) query.set('title', values.title);
        if (values.business) query.set('businessId', values.business);
        const added = await call('POST', `/api/kb/documents?${query}`, { body: bytes, type });
        out(
          values.json
            ? JSON.stringify(added, null, 2)
            : `added "${String(added['title'])}" (${String(added['source'])}, ${String(added['chunkCount'])} chunks) as ${String(added['id'])}`,
        );
        return 0;
      }
      case 'search': {
        const q = args.join(' ').trim();
        if (!q) {
          err('switchboard kb search: give the question to search for');
          return 1;
        }
        const query = new URLSearchParams({ q, k: values.k ?? '3' });
        if (values.business) query.set('businessId', values.business);
        if (values.all) query.set('all', 'true');
        const found = await call('GET', `/api/kb/search?${query}`);
        const hits = (found['hits'] as Json[] | undefined) ?? [];
        if (values.json) out(JSON.stringify(found, null, 2));
        else if (hits.length === 0) out('nothing relevant: the receptionist would pass this question on');
        else
          hits.forEach((h, i) => {
            const flag = h['relevant'] === false ? ' (not relevant)' : '';
            out(`${i + 1}. ${String(h['title'])}  [score ${Number(h['score']).toFixed(4)}]${flag}`);
            out(`   ${String(h['text']).replace(/\s+/g, ' ').slice(0, 320)}`);
          });
        return 0;
      }
      case 'list': {
        // Every page (?limit=&cursor=, answered {items, nextCursor}): the list is the whole base.
        const docs: Json[] = [];
        let cursor: string | null = null;
        do {
          const page = new URLSearchParams(business);
          page.set('limit', '200');
          if (cursor) page.set('cursor', cursor);
          const listed = await call('GET', `/api/kb/documents?${page}`);
          docs.push(...((listed['items'] as Json[] | undefined) ?? []));
          cursor = typeof listed['nextCursor'] === 'string' ? listed['nextCursor'] : null;
        } while (cursor);
        if (values.json) out(JSON.stringify({ items: docs, nextCursor: null }, null, 2));
        else if (docs.length === 0) out('no documents');
        else
          for (const d of docs)
            out(
              `${String(d['id'])}  ${String(d['source']).padEnd(8)} ${String(d['chunkCount']).padStart(3)} chunks  ${String(d['title'])}`,
            );
        return 0;
      }
      case 'delete': {
        const id = args[0];
        if (!id) {
          err('switchboard kb delete: give the document ID (see "switchboard kb list")');
          return 1;
        }
        await call('DELETE', `/api/kb/documents/${encodeURIComponent(id)}${business ? `?${business}` : ''}`);
        out(`deleted ${id}`);
        return 0;
      }
      default:
        err(`switchboard kb: unknown command "${sub}"\n\n${HELP}`);
        return 1;
    }
  } catch (e) {
    err(`switchboard kb ${sub}: ${(e as Error).message}`);
    return 1;
  }
}
