import { eq } from 'drizzle-orm';
import { asBusinessId } from '../ids.js';
import { BusinessesRepo, type Business, type Db, type UpdateBusinessInput } from '../store/index.js';
import { businesses } from '../store/schema/index.js';

/**
 * Reads one business under its row lock and writes what `next` makes of it in the same
 * transaction, so two edits at once (the profile page and the phone menu, say) cannot undo each
 * other: each `next` sees the settings the other wrote. `next` may throw to write nothing (the
 * transaction rolls back). Undefined when there is no such business.
 */
export async function updateBusinessLocked(
  db: Db,
  id: string,
  next: (current: Business) => UpdateBusinessInput,
): Promise<Business | undefined> {
  return db.transaction(async (tx) => {
    const [locked] = await tx
      .select({ id: businesses.id })
      .from(businesses)
      .where(eq(businesses.id, id))
      .for('update');
    if (!locked) return undefined;
    const repo = new BusinessesRepo(tx);
    const current = await repo.getById(asBusinessId(id));
    if (!current) return undefined;
    return repo.update(current.id, next(current));
  });
}
