import { asc, eq, sql } from 'drizzle-orm';
import type { BusinessId, UserId } from '../ids.js';
import type { Db } from './database.js';
import { users, type Role } from './schema/index.js';
import { isUniqueViolation } from './unique-violation.js';

/** A user as the rest of the system sees one: never the password hash. */
export interface User {
  id: UserId;
  email: string;
  role: Role;
  businessId: BusinessId | null;
  tokenVersion: number;
  createdAt: Date;
  lastLoginAt: Date | null;
}

export interface NewUser {
  email: string;
  passwordHash: string;
  role: Role;
  businessId: BusinessId | null;
}

export class EmailTakenError extends Error {
  constructor() {
    super('a user with this email already exists');
  }
}

const publicColumns = {
  id: users.id,
  email: users.email,
  role: users.role,
  businessId: users.businessId,
  tokenVersion: users.tokenVersion,
  createdAt: users.createdAt,
  lastLoginAt: users.lastLoginAt,
};

const asUser = (row: { id: string; businessId: string | null } & Omit<User, 'id' | 'businessId'>): User => ({
  ...row,
  id: row.id as UserId,
  businessId: row.businessId as BusinessId | null,
});

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** Users and their password hashes. Emails are compared lower-cased. */
export class UsersRepo {
  constructor(private readonly db: Db) {}

  async create(input: NewUser): Promise<User> {
    try {
      const [row] = await this.db
        .insert(users)
        .values({ ...input, email: normalizeEmail(input.email) })
        .returning(publicColumns);
      return asUser(row!);
    } catch (err) {
      if (isUniqueViolation(err)) throw new EmailTakenError();
      throw err;
    }
  }

  async get(id: string): Promise<User | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const [row] = await this.db.select(publicColumns).from(users).where(eq(users.id, id));
    return row ? asUser(row) : undefined;
  }

  /** The user and their hash, for checking a password at sign-in. */
  async findForLogin(email: string): Promise<{ user: User; passwordHash: string } | undefined> {
    const [row] = await this.db
      .select({ ...publicColumns, passwordHash: users.passwordHash })
      .from(users)
      .where(eq(users.email, normalizeEmail(email)));
    if (!row) return undefined;
    const { passwordHash, ...user } = row;
    return { user: asUser(user), passwordHash };
  }

  /** Every user, or one business's, oldest first. */
  async list(businessId?: BusinessId): Promise<User[]> {
    const q = this.db.select(publicColumns).from(users);
    const rows = await (businessId ? q.where(eq(users.businessId, businessId)) : q).orderBy(
      asc(users.createdAt),
      asc(users.id),
    );
    return rows.map(asUser);
  }

  async count(): Promise<number> {
    const [row] = await this.db.select({ n: sql<number>`count(*)::int` }).from(users);
    return row?.n ?? 0;
  }

  async recordLogin(id: UserId, at = new Date()): Promise<void> {
    await this.db.update(users).set({ lastLoginAt: at }).where(eq(users.id, id));
  }

  /** A new password; every session signed before it stops working. */
  async setPassword(id: UserId, passwordHash: string): Promise<boolean> {
    const rows = await this.db
      .update(users)
      .set({ passwordHash, tokenVersion: sql`${users.tokenVersion} + 1` })
      .where(eq(users.id, id))
      .returning({ id: users.id });
    return rows.length > 0;
  }

  /** Ends every session of this user (sign out everywhere). */
  async revokeSessions(id: UserId): Promise<void> {
    await this.db
      .update(users)
      .set({ tokenVersion: sql`${users.tokenVersion} + 1` })
      .where(eq(users.id, id));
  }

  async delete(id: UserId): Promise<boolean> {
    const rows = await this.db.delete(users).where(eq(users.id, id)).returning({ id: users.id });
    return rows.length > 0;
  }
}
