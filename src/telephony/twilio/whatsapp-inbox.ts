import { sql } from 'drizzle-orm';
import type { BusinessId, CallSid } from '../../ids.js';
import { rowsOf, type Db } from '../../store/index.js';
import { callEvents, calls, conversations } from '../../store/schema/index.js';

/**
 * Which WhatsApp messages have been answered already. Twilio may post one message again (a retry
 * after a timeout, a replay): its MessageSid is kept as the event `whatsapp.message` on the
 * conversation's calls row, and a MessageSid already there, on any conversation with the same
 * contact, is not answered twice.
 */
export interface WhatsAppInbox {
  /** True when this MessageSid is new (and is now recorded on `callSid`); false for a repeat. */
  claim(m: {
    businessId: BusinessId;
    partyKey: string;
    callSid: CallSid;
    messageSid: string;
    at: Date;
  }): Promise<boolean>;
  /** Our address (whatsapp:+E164) this contact last wrote to, if they ever wrote to the business. */
  lastAddressOf(m: { businessId: BusinessId; partyKey: string }): Promise<string | undefined>;
}

export const WHATSAPP_MESSAGE_EVENT = 'whatsapp.message';

/** The inbox on the database: one transaction per claim, serialized per MessageSid on every node. */
export class StoredWhatsAppInbox implements WhatsAppInbox {
  constructor(private readonly db: Db) {}

  async claim(m: Parameters<WhatsAppInbox['claim']>[0]): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      // Two deliveries of one message at once (two nodes): the second waits here for the first's
      // commit, then finds its event. Released at the end of the transaction.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`whatsapp.message:${m.messageSid}`}))`);
      const seen = await tx.execute(sql`
        select 1 from ${conversations} v
        join ${callEvents} e on e.call_id = v.call_id
        where v.business_id = ${m.businessId} and v.channel = 'whatsapp' and v.party_key = ${m.partyKey}
          and e.type = ${WHATSAPP_MESSAGE_EVENT} and e.payload->>'messageSid' = ${m.messageSid}
        limit 1`);
      if (rowsOf(seen).length > 0) return false;
      const inserted = await tx.execute(sql`
        insert into ${callEvents} (call_id, type, payload, occurred_at)
        select ${calls.id}, ${WHATSAPP_MESSAGE_EVENT}, ${JSON.stringify({ messageSid: m.messageSid })}::jsonb,
          ${m.at.toISOString()}::timestamptz
        from ${calls} where ${calls.callSid} = ${m.callSid}
        returning id`);
      if (rowsOf(inserted).length === 0) throw new Error('the conversation has no calls row');
      return true;
    });
  }

  async lastAddressOf(m: { businessId: BusinessId; partyKey: string }): Promise<string | undefined> {
    const rows = rowsOf<{ to: string | null }>(
      await this.db.execute(sql`
        select c.to_number as "to" from ${conversations} v
        join ${calls} c on c.id = v.call_id
        where v.business_id = ${m.businessId} and v.channel = 'whatsapp' and v.party_key = ${m.partyKey}
          and v.last_inbound_at is not null
        order by v.last_inbound_at desc
        limit 1`),
    );
    return rows[0]?.to ?? undefined;
  }
}
