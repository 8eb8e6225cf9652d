import { sql } from 'drizzle-orm';
import type { BusinessId, E164 } from '../ids.js';
import { asBusinessId } from '../ids.js';
import { BusinessesRepo } from './businesses-repo.js';
import type { CreateBusinessInput } from './businesses-repo.js';
import type { Db, StoreLogger } from './database.js';
import { rowsOf } from './raw-rows.js';
import { businesses } from './schema/index.js';

/** Fixed id, so two nodes seeding an empty database at once create one demo business, not two. */
export const DEMO_BUSINESS_ID: BusinessId = asBusinessId('00000000-0000-4000-8000-00000000ac3e');
/** Twilio's magic test number: valid, never rings a real phone. */
export const DEMO_PHONE_NUMBER = '+15005550006' as E164;

export const DEMO_BUSINESS: CreateBusinessInput = {
  name: 'Acme Plumbing',
  trade: 'plumbing',
  greeting: 'Thanks for calling Acme Plumbing, this is the virtual receptionist. How can I help you today?',
  afterHoursGreeting: null,
  timezone: 'America/New_York',
  hours: {
    weekly: {
      mon: [{ open: '08:00', close: '18:00' }],
      tue: [{ open: '08:00', close: '18:00' }],
      wed: [{ open: '08:00', close: '18:00' }],
      thu: [{ open: '08:00', close: '18:00' }],
      fri: [{ open: '08:00', close: '18:00' }],
      sat: [{ open: '09:00', close: '13:00' }],
    },
    holidays: [],
  },
  plan: 'PRO',
  settings: {},
  phoneNumbers: [DEMO_PHONE_NUMBER],
};

/**
 * On first start (no businesses at all) creates the demo business so a fresh install answers
 * calls at once. Never runs again once any business exists, so an operator who deletes the demo
 * does not see it come back.
 */
export async function seedDemoBusiness(db: Db, logger: StoreLogger): Promise<{ seeded: boolean }> {
  const [any] = rowsOf<{ one: number }>(await db.execute(sql`select 1 as one from ${businesses} limit 1`));
  if (any) return { seeded: false };
  try {
    await new BusinessesRepo(db).create(DEMO_BUSINESS, { id: DEMO_BUSINESS_ID });
  } catch (err) {
    // Another node won the race to seed: its demo business is ours too.
    if (await new BusinessesRepo(db).getById(DEMO_BUSINESS_ID)) return { seeded: false };
    throw err;
  }
  logger.info({ businessId: DEMO_BUSINESS_ID }, 'seeded demo business');
  return { seeded: true };
}
