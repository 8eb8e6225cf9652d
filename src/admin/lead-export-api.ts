import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { scopeOf, type Access } from '../http/access.js';
import { adminRoute, describedOnly, queryObject } from '../http/route-schemas.js';
import { systemClock, type Clock } from '../shared/index.js';
import { LeadsRepo, type Db, type Lead } from '../store/index.js';
import { LEAD_STATUSES } from '../store/schema/index.js';
import { businessFilter } from './receptionist-api.js';

/**
 * GET /api/leads/export.csv: every lead the list would show (same scope, same ?businessId= and
 * ?status=), all of them rather than one page, newest first, as a CSV file a spreadsheet opens:
 * RFC 4180 (CRLF lines, quoted cells), UTF-8, and no cell a spreadsheet would run as a formula.
 * Rows are read from the database in batches while the answer streams.
 */

export interface LeadExportApiDeps {
  access: Access;
  db: Db;
  /** Dates the file's name. */
  clock?: Clock;
}

export const LEAD_CSV_COLUMNS = [
  'id',
  'createdAt',
  'status',
  'name',
  'phone',
  'email',
  'address',
  'need',
  'urgency',
  'channel',
  'callSid',
] as const;

/**
 * One cell. A caller's words become cells, so a value a spreadsheet would read as a formula
 * (= + - @, or a tab or carriage return before one) is made text with a leading apostrophe;
 * then a cell holding a comma, quote or line break is quoted, its quotes doubled.
 */
export function csvCell(value: string | null | undefined): string {
  let text = value ?? '';
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvRow(cells: readonly (string | null | undefined)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

function leadRow(l: Lead): string {
  return csvRow([
    l.id,
    l.createdAt.toISOString(),
    l.status,
    l.name,
    l.phone,
    l.email,
    l.address,
    l.need,
    l.urgency,
    l.channel,
    l.callSid,
  ]);
}

/** Rows joined into chunks of about this many characters: fewer, larger writes. */
const CHUNK_CHARS = 64 * 1024;

async function* csvChunks(leads: AsyncIterable<Lead>): AsyncGenerator<string> {
  let chunk = csvRow(LEAD_CSV_COLUMNS);
  for await (const lead of leads) {
    chunk += leadRow(lead);
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

export function registerLeadExportApi(app: FastifyInstance, deps: LeadExportApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const leads = new LeadsRepo(deps.db);
  const clock = deps.clock ?? systemClock;

  api.get(
    '/api/leads/export.csv',
    {
      onRequest: deps.access.signedIn,
      schema: adminRoute({
        summary: 'Every matching lead as a CSV file (newest first), for a spreadsheet',
        tags: ['captured'],
        querystring: queryObject({
          businessId: businessFilter,
          status: z.enum(LEAD_STATUSES).optional(),
        }),
        response: {
          200: {
            description: `A header row (${LEAD_CSV_COLUMNS.join(',')}) and one row per lead`,
            content: { 'text/csv': { schema: describedOnly({ type: 'string' }) } },
          },
        },
      }),
    },
    async (req, reply) => {
      const businessId = scopeOf(req, req.query.businessId);
      const day = new Date(clock.now()).toISOString().slice(0, 10);
      const rows = leads.each({ businessId, status: req.query.status });
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="leads-${day}.csv"`)
        .header('cache-control', 'private, no-store')
        .send(Readable.from(csvChunks(rows), { objectMode: false }));
    },
  );
}
