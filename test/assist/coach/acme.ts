import { businessProfileSchema, type BusinessProfile } from '../../../src/business/index.js';

/** A plumbing business like the seeded demo: priced services, FAQ, hours, on-call number. */
export function acmeProfile(over: Partial<BusinessProfile> = {}): BusinessProfile {
  return {
    ...businessProfileSchema.parse({
      name: 'Acme Plumbing',
      trade: 'plumbing',
      timezone: 'America/New_York',
      hours: {
        weekly: {
          mon: [{ open: '08:00', close: '18:00' }],
          tue: [{ open: '08:00', close: '18:00' }],
          wed: [{ open: '08:00', close: '18:00' }],
          thu: [{ open: '08:00', close: '18:00' }],
          fri: [{ open: '08:00', close: '18:00' }],
        },
        holidays: [],
      },
      services: [
        {
          id: 'drain-cleaning',
          name: 'Drain cleaning',
          aliases: ['clogged drain', 'drain'],
          durationMinutes: 60,
          price: '$149',
        },
        {
          id: 'water-heater',
          name: 'Water heater service',
          aliases: ['water heater', 'hot water'],
          durationMinutes: 90,
          price: 'from $189',
        },
      ],
      faq: [{ question: 'What areas do you serve?', answer: 'Manhattan, Brooklyn and Queens.' }],
      emergencyNumber: '+12125550147',
    }),
    ...over,
  };
}
