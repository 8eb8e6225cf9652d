import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { businesses, tsColumn } from './businesses.js';
import { CALL_CHANNELS, calls } from './calls.js';

const inList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));

/**
 * A conversation held turn by turn over requests rather than on one live stream: a chat in the
 * widget, a WhatsApp thread, a phone call on record-and-reply. Its transcript, leads and events
 * live on its `calls` row (channel chat, whatsapp or phone), as a streamed call's do; this row
 * keeps what the next turn needs: the brain's state and when the other party last wrote.
 */
export const conversations = pgTable(
  'conversations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    businessId: uuid('business_id')
      .notNull()
      .references(() => businesses.id, { onDelete: 'cascade' }),
    channel: text('channel', { enum: CALL_CHANNELS }).notNull(),
    /**
     * Who the conversation is with, in the channel's own terms: the widget visitor's id, the
     * WhatsApp address (whatsapp:+E164), the CallSid of a record-and-reply call.
     */
    partyKey: text('party_key').notNull(),
    callId: uuid('call_id')
      .notNull()
      .references(() => calls.id, { onDelete: 'cascade' }),
    /** The brain's BrainState between turns (plain JSON). */
    state: jsonb('state')
      .$type<Record<string, unknown>>()
      .notNull()
      .default(sql`'{}'::jsonb`),
    /** Turns taken so far; a turn's writes are conditional on it (two requests never both win). */
    turns: integer('turns').notNull().default(0),
    /** The other party's last message: WhatsApp's 24-hour window runs from here. */
    lastInboundAt: tsColumn('last_inbound_at'),
    lastActivityAt: tsColumn('last_activity_at').notNull().defaultNow(),
    createdAt: tsColumn('created_at').notNull().defaultNow(),
    endedAt: tsColumn('ended_at'),
  },
  (t) => [
    // One open conversation per party and channel of a business.
    uniqueIndex('conversations_open_party_key')
      .on(t.businessId, t.channel, t.partyKey)
      .where(sql`${t.endedAt} is null`),
    index('conversations_party_idx').on(t.businessId, t.channel, t.partyKey, t.lastInboundAt.desc()),
    // The idle sweep: open conversations by last activity.
    index('conversations_open_activity_idx')
      .on(t.lastActivityAt)
      .where(sql`${t.endedAt} is null`),
    uniqueIndex('conversations_call_key').on(t.callId),
    check('conversations_channel_check', sql`${t.channel} in (${inList(CALL_CHANNELS)})`),
  ],
);

/**
 * Browser-call rooms: a business opens one (`POST /room/create`), visitors join it by name. The
 * name is global: a visitor knows only the name. `agentEnabled`: the voice agent answers whoever
 * joins; `recordingEnabled`: calls in the room keep a recording.
 */
export const rooms = pgTable(
  'rooms',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    businessId: uuid('business_id')
      .notNull()
      .references(() => businesses.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    agentEnabled: boolean('agent_enabled').notNull().default(true),
    recordingEnabled: boolean('recording_enabled').notNull().default(false),
    createdAt: tsColumn('created_at').notNull().defaultNow(),
    closedAt: tsColumn('closed_at'),
  },
  (t) => [
    uniqueIndex('rooms_name_key').on(t.name),
    index('rooms_business_idx').on(t.businessId, t.createdAt.desc()),
    check('rooms_name_check', sql`${t.name} ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'`),
  ],
);
