import { and, eq, isNull } from 'drizzle-orm';
import type { BusinessId } from '../ids.js';
import type { Db } from './database.js';
import { rooms } from './schema/index.js';
import { isUniqueViolation } from './unique-violation.js';

/** A browser-call room: a business opens it, visitors join it by its (global) name. */
export interface Room {
  id: string;
  businessId: BusinessId;
  name: string;
  agentEnabled: boolean;
  recordingEnabled: boolean;
  createdAt: Date;
  closedAt: Date | null;
}

/** What a room may be called: the database's own check (`rooms_name_check`), for the edges. */
export const ROOM_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export class RoomNameTakenError extends Error {
  constructor(readonly roomName: string) {
    super(`a room named "${roomName}" already exists`);
  }
}

const asRoom = (row: typeof rooms.$inferSelect): Room => ({
  id: row.id,
  businessId: row.businessId as BusinessId,
  name: row.name,
  agentEnabled: row.agentEnabled,
  recordingEnabled: row.recordingEnabled,
  createdAt: row.createdAt,
  closedAt: row.closedAt,
});

/**
 * Rooms by name. A name is taken for good: a closed room keeps it, so a link once handed out
 * never reaches another business's room.
 */
export class RoomsRepo {
  constructor(private readonly db: Db) {}

  async create(input: {
    businessId: BusinessId;
    name: string;
    agentEnabled?: boolean;
    recordingEnabled?: boolean;
  }): Promise<Room> {
    try {
      const [row] = await this.db
        .insert(rooms)
        .values({
          businessId: input.businessId,
          name: input.name,
          ...(input.agentEnabled !== undefined ? { agentEnabled: input.agentEnabled } : {}),
          ...(input.recordingEnabled !== undefined ? { recordingEnabled: input.recordingEnabled } : {}),
        })
        .returning();
      return asRoom(row!);
    } catch (err) {
      if (isUniqueViolation(err, 'rooms_name_key')) throw new RoomNameTakenError(input.name);
      throw err;
    }
  }

  /** The room, open or closed; undefined for a name that is not one (never a database error). */
  async getByName(name: string): Promise<Room | undefined> {
    if (!ROOM_NAME_PATTERN.test(name)) return undefined;
    const [row] = await this.db.select().from(rooms).where(eq(rooms.name, name));
    return row ? asRoom(row) : undefined;
  }

  /** The room after the change; undefined when the name is not one of this business's rooms. */
  setAgent(businessId: BusinessId, name: string, enabled: boolean): Promise<Room | undefined> {
    return this.update(businessId, name, { agentEnabled: enabled });
  }

  setRecording(businessId: BusinessId, name: string, enabled: boolean): Promise<Room | undefined> {
    return this.update(businessId, name, { recordingEnabled: enabled });
  }

  /** Closes an open room (joins then answer 404); closing twice keeps the first time. */
  async close(businessId: BusinessId, name: string, at: Date = new Date()): Promise<Room | undefined> {
    const [row] = await this.db
      .update(rooms)
      .set({ closedAt: at })
      .where(and(eq(rooms.businessId, businessId), eq(rooms.name, name), isNull(rooms.closedAt)))
      .returning();
    if (row) return asRoom(row);
    const existing = await this.getByName(name);
    return existing?.businessId === businessId ? existing : undefined;
  }

  private async update(
    businessId: BusinessId,
    name: string,
    set: Partial<Pick<typeof rooms.$inferInsert, 'agentEnabled' | 'recordingEnabled'>>,
  ): Promise<Room | undefined> {
    if (!ROOM_NAME_PATTERN.test(name)) return undefined;
    const [row] = await this.db
      .update(rooms)
      .set(set)
      .where(and(eq(rooms.businessId, businessId), eq(rooms.name, name)))
      .returning();
    return row ? asRoom(row) : undefined;
  }
}
