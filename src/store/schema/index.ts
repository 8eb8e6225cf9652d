/**
 * The whole database schema. Each file owns a group of tables; add new groups (knowledge, leads,
 * bookings, ...) as new files exported here, then run `npx drizzle-kit generate`.
 */
export * from './businesses.js';
export * from './calls.js';
export * from './outbox.js';
export * from './knowledge.js';
export * from './leads.js';
export * from './bookings.js';
export * from './emergencies.js';
export * from './questions.js';
export * from './assist.js';
export * from './users.js';
export * from './conversations.js';
