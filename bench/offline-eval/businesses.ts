/**
 * The two businesses the simulated callers ring: Acme Plumbing (the demo business every new user
 * meets, src/store/seed.ts) and Bright Smile Dental (written here, matching its knowledge base in
 * test/knowledge/fixtures/kb-bench/dental). Each has its knowledge base folder.
 */
import { fileURLToPath } from 'node:url';
import { DEMO_BUSINESS, type CreateBusinessInput } from '../../src/store/index.js';
import type { EvalBusiness } from './scenario.js';

const KB_ROOT = fileURLToPath(new URL('../../test/knowledge/fixtures/kb-bench/', import.meta.url));

export const DENTAL_BUSINESS: CreateBusinessInput = {
  name: 'Bright Smile Dental',
  trade: 'dental',
  greeting:
    'Thanks for calling Bright Smile Dental, this is the virtual receptionist. How can I help you today?',
  afterHoursGreeting: null,
  timezone: 'America/Chicago',
  hours: {
    weekly: {
      mon: [{ open: '08:00', close: '17:00' }],
      tue: [{ open: '10:00', close: '19:00' }],
      wed: [{ open: '08:00', close: '17:00' }],
      thu: [{ open: '10:00', close: '19:00' }],
      fri: [{ open: '08:00', close: '14:00' }],
    },
    holidays: [],
  },
  plan: 'PRO',
  settings: {
    profile: {
      services: [
        {
          id: 'cleaning',
          name: 'Cleaning and check-up',
          aliases: ['cleaning', 'check up', 'checkup', 'teeth cleaning', 'exam'],
          durationMinutes: 60,
          price: '$120',
          description: 'A cleaning, check-up and digital x-rays.',
        },
        {
          id: 'filling',
          name: 'Filling',
          aliases: ['filling', 'cavity', 'lost filling'],
          durationMinutes: 60,
          price: 'from $180',
          description: 'Tooth-coloured fillings.',
        },
        {
          id: 'whitening',
          name: 'Teeth whitening',
          aliases: ['whitening', 'teeth whitening', 'bleaching'],
          durationMinutes: 90,
          price: '$350',
          description: 'In-office whitening in one visit.',
        },
      ],
      faq: [
        {
          question: 'Are you taking new patients?',
          answer: 'Yes, we are accepting new patients of all ages. The new patient special is $99.',
        },
        {
          question: 'Where are you located?',
          answer:
            'We are at 1420 Maple Avenue, Suite 200, in downtown Evanston, with free parking behind the building.',
        },
      ],
      emergencyNumber: '+13125550166',
    },
    notifications: {
      emergency: { sms: ['+13125550166'], calls: ['+13125550166'], email: ['dr.kim@brightsmile.example'] },
      leads: { email: ['front@brightsmile.example'] },
      bookings: { email: ['front@brightsmile.example'], confirmToCustomer: true },
    },
  },
  phoneNumbers: ['+13125550100'],
};

export const BUSINESSES: Record<
  EvalBusiness,
  { readonly input: CreateBusinessInput; readonly kbDir: string }
> = {
  plumbing: { input: DEMO_BUSINESS, kbDir: `${KB_ROOT}plumbing` },
  dental: { input: DENTAL_BUSINESS, kbDir: `${KB_ROOT}dental` },
};
