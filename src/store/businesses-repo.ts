import { asc, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import type { BusinessId, E164 } from '../ids.js';
import { parseE164 } from '../ids.js';
import type { Db } from './database.js';
import type { BusinessHours, BusinessSettings, Plan, Trade } from './schema/index.js';
import {
  businessHoursSchema,
  businessPhoneNumbers,
  businesses,
  businessSettingsSchema,
  PLANS,
} from './schema/index.js';

export interface Business {
  id: BusinessId;
  name: string;
  trade: Trade;
  greeting: string;
  afterHoursGreeting: string | null;
  timezone: string;
  hours: BusinessHours;
  plan: Plan;
  /** The chat widget's key (`data-key` on its script tag): public, it only names the business. */
  publicKey: string;
  settings: BusinessSettings;
  phoneNumbers: E164[];
  createdAt: Date;
  updatedAt: Date;
}

const e164 = z.string().transform((s, ctx) => {
  const n = parseE164(s);
  if (!n) ctx.addIssue({ code: 'custom', message: 'expected an E.164 phone number, e.g. +15005550006' });
  return n ?? z.NEVER;
});

const ianaZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'expected an IANA timezone, e.g. America/New_York');

/** Fields an owner or operator may set; checked here because they come from the admin API and config. */
export const businessInputSchema = z.object({
  name: z.string().trim().min(1).max(200),
  trade: z
    .string()
    .trim()
    .toLowerCase()
    .min(1)
    .max(50)
    .transform((t) => t as Trade),
  greeting: z.string().trim().min(1).max(1000),
  afterHoursGreeting: z.string().trim().min(1).max(1000).nullable(),
  timezone: ianaZone,
  hours: businessHoursSchema,
  plan: z.enum(PLANS),
  settings: businessSettingsSchema,
  phoneNumbers: z.array(e164).max(50),
});
export type BusinessInput = z.input<typeof businessInputSchema>;

export const createBusinessSchema = businessInputSchema.partial().required({ name: true, greeting: true });
export type CreateBusinessInput = z.input<typeof createBusinessSchema>;
/** phoneNumbers, when given, replaces the set the business owns. */
export const updateBusinessSchema = businessInputSchema.partial();
export type UpdateBusinessInput = z.input<typeof updateBusinessSchema>;

export class PhoneNumberTakenError extends Error {
  constructor(readonly number: E164) {
    super(`phone number ${number} already belongs to another business`);
    this.name = 'PhoneNumberTakenError';
  }
}

type BusinessRow = typeof businesses.$inferSelect;

export class BusinessesRepo {
  constructor(private readonly db: Db) {}

  /** The business a caller reached, by the number they dialled. */
  async findByPhoneNumber(number: E164): Promise<Business | undefined> {
    const [row] = await this.db
      .select({ business: businesses })
      .from(businessPhoneNumbers)
      .innerJoin(businesses, eq(businesses.id, businessPhoneNumbers.businessId))
      .where(eq(businessPhoneNumbers.number, number));
    return row ? (await this.withNumbers([row.business]))[0] : undefined;
  }

  /** The business a chat widget names by its public key (`pk_…`). */
  async findByPublicKey(publicKey: string): Promise<Business | undefined> {
    const rows = await this.db.select().from(businesses).where(eq(businesses.publicKey, publicKey));
    return (await this.withNumbers(rows))[0];
  }

  async getById(id: BusinessId): Promise<Business | undefined> {
    const rows = await this.db.select().from(businesses).where(eq(businesses.id, id));
    return (await this.withNumbers(rows))[0];
  }

  async list(): Promise<Business[]> {
    const rows = await this.db
      .select()
      .from(businesses)
      .orderBy(asc(businesses.createdAt), asc(businesses.id));
    return this.withNumbers(rows);
  }

  async create(input: CreateBusinessInput, opts: { id?: BusinessId } = {}): Promise<Business> {
    const { phoneNumbers = [], ...fields } = createBusinessSchema.parse(input);
    const id = await this.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(businesses)
        .values({ ...fields, ...(opts.id ? { id: opts.id } : {}) })
        .returning({ id: businesses.id });
      const businessId = row!.id as BusinessId;
      await claimNumbers(tx, businessId, phoneNumbers);
      return businessId;
    });
    return (await this.getById(id))!;
  }

  /** Returns undefined when no such business exists. */
  async update(id: BusinessId, patch: UpdateBusinessInput): Promise<Business | undefined> {
    const { phoneNumbers, ...fields } = updateBusinessSchema.parse(patch);
    const found = await this.db.transaction(async (tx) => {
      // Always touch the row: it takes the row lock and bumps updated_at even for number-only changes.
      const [row] = await tx
        .update(businesses)
        .set({ ...fields, updatedAt: new Date() })
        .where(eq(businesses.id, id))
        .returning({ id: businesses.id });
      if (!row) return false;
      if (phoneNumbers) {
        await tx.delete(businessPhoneNumbers).where(eq(businessPhoneNumbers.businessId, id));
        await claimNumbers(tx, id, phoneNumbers);
      }
      return true;
    });
    return found ? this.getById(id) : undefined;
  }

  private async withNumbers(rows: BusinessRow[]): Promise<Business[]> {
    if (rows.length === 0) return [];
    const numbers = await this.db
      .select()
      .from(businessPhoneNumbers)
      .where(
        inArray(
          businessPhoneNumbers.businessId,
          rows.map((r) => r.id),
        ),
      )
      .orderBy(asc(businessPhoneNumbers.createdAt), asc(businessPhoneNumbers.number));
    return rows.map((r) => ({
      ...r,
      id: r.id as BusinessId,
      phoneNumbers: numbers.filter((n) => n.businessId === r.id).map((n) => n.number as E164),
    }));
  }
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

async function claimNumbers(tx: Tx, businessId: BusinessId, numbers: readonly E164[]): Promise<void> {
  const unique = [...new Set(numbers)];
  if (unique.length === 0) return;
  const inserted = await tx
    .insert(businessPhoneNumbers)
    .values(unique.map((number) => ({ number, businessId })))
    .onConflictDoNothing()
    .returning({ number: businessPhoneNumbers.number });
  if (inserted.length !== unique.length) {
    const got = new Set(inserted.map((r) => r.number));
    // Throwing rolls the transaction back: a number is never silently moved between businesses.
    throw new PhoneNumberTakenError(unique.find((n) => !got.has(n))!);
  }
}
