import type { Suggestion } from '../events.js';

/** A suggestion before the gate (no id/atMs yet). */
export type Candidate = Omit<Suggestion, 'id' | 'atMs'>;
