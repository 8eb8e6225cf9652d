import { ApiFailure } from '../../api';

/**
 * A refusal's per-field complaints, worded "field: problem", when there are several (the API's
 * message names only the first). Paths lose the "body." the API puts before them.
 */
export function detailsOf(err: unknown): string[] {
  if (!(err instanceof ApiFailure) || !err.details || err.details.length < 2) return [];
  return err.details.map((d) => `${d.path.replace(/^body\./, '')}: ${d.message}`);
}
