import { sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../../src/store/index.js';

/**
 * What the fuzz runs check in the store: how many rows the tables that requests may create
 * hold (unsigned or invalid requests must create none), and rows that are not well formed.
 */

export const FUZZ_TABLES = [
  'calls',
  'leads',
  'outbox',
  'conversations',
  'emergencies',
  'bookings',
  'questions_for_owner',
] as const;

export async function rowCounts(db: Db): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of FUZZ_TABLES) {
    const [row] = rowsOf<{ n: number | string }>(await db.execute(sql.raw(`select count(*) as n from ${t}`)));
    out[t] = Number(row?.n ?? 0);
  }
  return out;
}

/** Rows a request left that no real Twilio, widget or browser would: each a short description. */
export async function malformedRows(db: Db): Promise<string[]> {
  const problems: string[] = [];
  const check = async (what: string, query: string) => {
    const rows = rowsOf<Record<string, unknown>>(await db.execute(sql.raw(query)));
    for (const r of rows.slice(0, 5)) problems.push(`${what}: ${JSON.stringify(r).slice(0, 200)}`);
    if (rows.length > 5) problems.push(`${what}: and ${rows.length - 5} more`);
  };
  // A signed webhook is Twilio's word: its CallSid is taken as given (Twilio's own are CA and 32
  // hex digits), but no stored id or number may carry control characters or run unbounded.
  await check(
    'call id or number with control characters or unbounded',
    `select id, left(call_sid, 80) as call_sid, length(call_sid) as len from calls where call_sid = '' or call_sid ~ '[[:cntrl:]]' or length(call_sid) > 256 or coalesce(from_number, '') ~ '[[:cntrl:]]' or length(coalesce(from_number, '')) > 256`,
  );
  await check(
    'call that ended before it started',
    `select id, call_sid from calls where ended_at is not null and ended_at < started_at`,
  );
  await check(
    'lead with an oversized field',
    `select id, length(name) as name, length(phone) as phone, length(need) as need from leads where length(coalesce(name, '')) > 500 or length(coalesce(phone, '')) > 64 or length(coalesce(need, '')) > 5000`,
  );
  return problems;
}
