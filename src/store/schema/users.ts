import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { businesses, tsColumn } from './businesses.js';

export const ROLES = ['owner', 'agent', 'admin'] as const;
/** owner: runs one business; agent: answers its calls; admin: runs the server (every business). */
export type Role = (typeof ROLES)[number];

/**
 * People who sign in to the dashboard or the API. An owner or agent belongs to one business;
 * an admin to none (they see every business). Emails are kept lower-cased and unique.
 */
export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: text('email').notNull(),
    /** scrypt$N$r$p$salt$hash (src/auth/passwords.ts); never leaves the store. */
    passwordHash: text('password_hash').notNull(),
    role: text('role').$type<Role>().notNull(),
    businessId: uuid('business_id').references(() => businesses.id, { onDelete: 'cascade' }),
    /** Raised on password change or sign-out everywhere: older session tokens stop working. */
    tokenVersion: integer('token_version').notNull().default(1),
    createdAt: tsColumn('created_at').notNull().defaultNow(),
    lastLoginAt: tsColumn('last_login_at'),
  },
  (t) => [
    uniqueIndex('users_email_key').on(t.email),
    index('users_business_idx').on(t.businessId),
    check('users_role_check', sql`${t.role} in ('owner', 'agent', 'admin')`),
    check(
      'users_business_check',
      sql`(${t.role} = 'admin' and ${t.businessId} is null) or (${t.role} <> 'admin' and ${t.businessId} is not null)`,
    ),
  ],
);
