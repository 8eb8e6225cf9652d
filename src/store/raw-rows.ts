/** Rows of a raw `db.execute()`: both drivers return `{ rows }`, but the shared `Db` type cannot say so. */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}
