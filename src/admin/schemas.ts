import { z } from 'zod';

/** Shapes shared by the admin API's route schemas. */

/** A stored time: a Date in the handler, an ISO 8601 string on the wire. */
export const timestamp = z.date().describe('ISO 8601 time');

/** A route parameter that is a record's uuid. */
export const idParams = z.object({ id: z.uuid() });
