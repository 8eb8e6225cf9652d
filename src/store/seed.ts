import { sql } from 'drizzle-orm';
import type { BusinessId, E164 } from '../ids.js';
import { asBusinessId } from '../ids.js';
import { BusinessesRepo } from './businesses-repo.js';
import type { CreateBusinessInput } from './businesses-repo.js';
import type { Logger } from '../shared/index.js';
import type { Db } from './database.js';
import { rowsOf } from './raw-rows.js';
import { businesses } from './schema/index.js';

/** Fixed id, so two nodes seeding an empty database at once create one demo business, not two. */
export const DEMO_BUSINESS_ID: BusinessId = asBusinessId('00000000-0000-4000-8000-00000000ac3e');
/** Twilio's magic test number: valid, never rings a real phone. */
export const DEMO_PHONE_NUMBER = '+15005550006' as E164;

export const DEMO_BUSINESS: CreateBusinessInput = {
  name: 'Acme Plumbing',
  trade: 'plumbing',
  greeting: 'Acme Plumbing, how can I help? For emergencies, press 1.',
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
  settings: {
    // What the business row has no columns for (src/business/stored-profile.ts reads it back).
    profile: {
      services: [
        {
          id: 'drain-cleaning',
          name: 'Drain cleaning',
          aliases: ['clogged drain', 'blocked drain', 'slow drain', 'drain'],
          durationMinutes: 60,
          price: '$149',
          description: 'Clearing a blocked sink, tub, shower or floor drain, camera check included.',
        },
        {
          id: 'water-heater',
          name: 'Water heater service',
          aliases: ['water heater', 'hot water', 'no hot water', 'tank flush'],
          durationMinutes: 90,
          price: 'from $189',
          description: 'Flush, anode check and repair of tank or tankless water heaters.',
        },
        {
          id: 'leak-repair',
          name: 'Leak repair',
          aliases: ['leak', 'leaking pipe', 'leaky faucet', 'dripping tap'],
          durationMinutes: 60,
          price: 'from $129',
          description: 'Finding and fixing leaks in pipes, faucets, toilets and fittings.',
        },
      ],
      faq: [
        {
          question: 'Do you charge for estimates?',
          answer:
            'Estimates are free for jobs over $300. Otherwise there is a $79 service call fee, which we waive if you go ahead with the work.',
        },
        {
          question: 'What areas do you serve?',
          answer: 'We serve Manhattan, Brooklyn and Queens, with no travel charge inside those boroughs.',
        },
        {
          question: 'Do you offer emergency service?',
          answer:
            'Yes. For flooding, burst pipes, sewage backups or no water, we have a plumber on call 24 hours a day, 7 days a week.',
        },
        {
          question: 'What payment do you accept?',
          answer: 'We accept all major credit cards, debit cards, checks and cash.',
        },
        {
          question: 'Are you licensed and insured?',
          answer: 'Yes, we are a licensed master plumber in New York and fully insured.',
        },
      ],
      // Fictional 555-01xx numbers: the embedded default keeps every notification in the outbox.
      emergencyNumber: '+12125550147',
      // The front desk: calls to /twilio/assist/voice ring it while agent assist listens in.
      agentNumber: '+12125550162',
    },
    notifications: {
      emergency: {
        sms: ['+12125550147'],
        calls: ['+12125550147', '+12125550188'],
        email: ['owner@acme-plumbing.example'],
      },
      leads: { email: ['office@acme-plumbing.example'] },
      bookings: { email: ['office@acme-plumbing.example'], confirmToCustomer: true },
    },
  },
  phoneNumbers: [DEMO_PHONE_NUMBER],
};

/**
 * On first start (no businesses at all) creates the demo business so a fresh install answers
 * calls at once. Never runs again once any business exists, so an operator who deletes the demo
 * does not see it come back.
 */
export async function seedDemoBusiness(db: Db, logger: Logger): Promise<{ seeded: boolean }> {
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
