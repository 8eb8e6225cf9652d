import { and, eq, lt, or, type AnyColumn, type SQL } from 'drizzle-orm';
import { z } from 'zod';

/**
 * One paging style for every list in the admin API: `?limit=&cursor=`, answered with
 * `{items: [...], nextCursor: string | null}`, newest first. A cursor is opaque to clients:
 * base64url of the last item's sort key `[ISO time, uuid]` (times are stored at millisecond
 * precision, so the key is exact). A cursor that does not decode to such a key is refused with
 * 400, not read as "from the start".
 */

export interface Cursor {
  at: Date;
  id: string;
}

const MAX_LIMIT = 200;
const keySchema = z.tuple([z.iso.datetime(), z.uuid()]);

export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');
}

/** The sort key in a cursor, or undefined when it is not one of ours. */
export function decodeCursor(cursor: string): Cursor | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  try {
    const parsed = keySchema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (!parsed.success) return undefined;
    const at = new Date(parsed.data[0]);
    return Number.isNaN(at.getTime()) ? undefined : { at, id: parsed.data[1] };
  } catch {
    return undefined;
  }
}

/** The query parameters every list takes. */
export const pageQuery = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_LIMIT)
    .default(50)
    .describe(`Items per page, 1 to ${MAX_LIMIT}`),
  cursor: z
    .string()
    .max(200)
    .transform((s, ctx) => {
      const c = decodeCursor(s);
      if (!c) {
        ctx.addIssue({
          code: 'custom',
          message: 'not a cursor from a previous page (pass nextCursor as is)',
        });
        return z.NEVER;
      }
      return c;
    })
    .optional()
    .describe('nextCursor from the previous page'),
};

/** The answer of a list: items of the given shape and the cursor of the next page. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe('Pass as ?cursor= for the next page; null on the last page'),
  });
}

/**
 * A page from rows fetched with `limit + 1` (the extra row says whether there is a next page),
 * sorted newest first by (at, id).
 */
export function page<T>(
  rows: readonly T[],
  limit: number,
  key: (row: T) => Cursor,
): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  if (rows.length <= limit || !last) return { items, nextCursor: null };
  const k = key(last);
  return { items, nextCursor: encodeCursor(k.at, k.id) };
}

/** Rows after the cursor in newest-first order of (at, id): `(at, id) < (cursor.at, cursor.id)`. */
export function olderThan(
  atColumn: AnyColumn,
  idColumn: AnyColumn,
  cursor: Cursor | undefined,
): SQL | undefined {
  if (!cursor) return undefined;
  return or(lt(atColumn, cursor.at), and(eq(atColumn, cursor.at), lt(idColumn, cursor.id)));
}

/**
 * Paging of a list held in memory, sorted by (at, id): newest first (the default) or oldest
 * first. For short lists only; long ones page in the database with olderThan.
 */
export function pageInMemory<T>(
  sorted: readonly T[],
  limit: number,
  cursor: Cursor | undefined,
  key: (row: T) => Cursor,
  order: 'newest' | 'oldest' = 'newest',
): { items: T[]; nextCursor: string | null } {
  const sign = order === 'newest' ? 1 : -1;
  const start = cursor
    ? sorted.findIndex((row) => {
        const k = key(row);
        const byTime = Math.sign(cursor.at.getTime() - k.at.getTime());
        const byId = k.id < cursor.id ? 1 : k.id > cursor.id ? -1 : 0;
        return (byTime || byId) * sign > 0;
      })
    : 0;
  if (start === -1) return { items: [], nextCursor: null };
  return page(sorted.slice(start, start + limit + 1), limit, key);
}
