/**
 * Whether a database error is a unique violation (SQLSTATE 23505) on `constraint`. Both drivers
 * report the code; drizzle may wrap the driver's error in its own, with the original as `cause`.
 */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, constraint: name, message } = e as { code?: string; constraint?: string; message?: string };
    if (code !== '23505') continue;
    if (!constraint) return true;
    // PGlite does not always fill `constraint`; its message names it.
    return name === constraint || (message ?? '').includes(`"${constraint}"`);
  }
  return false;
}
