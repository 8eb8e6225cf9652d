import { openIntervals } from '../business/index.js';
import { PLAN_LIMITS } from '../business/index.js';
import type { BusinessProfile, Service } from '../business/index.js';
import { freeSlots } from '../business/index.js';
import { profileFromStored } from '../business/index.js';
import { asCallSid, parseE164, type BusinessId, type CallId, type E164 } from '../ids.js';
import {
  resolveNotificationSettings,
  type DbTx,
  type Notifier,
  type NotificationSettings,
} from '../notify/index.js';
import {
  BookingsRepo,
  CallsRepo,
  EmergenciesRepo,
  LeadsRepo,
  QuestionsRepo,
  type Booking,
  type Business,
  type Db,
} from '../store/index.js';
import type { StoredTranscriptEntry } from '../store/schema/index.js';
import { BOOKING_CELL_MINUTES } from '../store/schema/index.js';
import type { Channel, TranscriptEntry } from './brain.js';
import type { Logger } from '../shared/index.js';
import type {
  AgentTools,
  BookingRecord,
  BookResult,
  EmergencyReport,
  KnowledgeHit,
  LeadUpdate,
  Slot,
} from './tools.js';

/**
 * AgentTools backed by the database and the notifier, bound to one conversation. Every write that
 * notifies somebody writes its outbox rows in the same transaction as its record (lead, booking,
 * emergency), and the dispatcher is woken once that commits.
 */

export interface StoreToolsDeps {
  db: Db;
  /** Writes notifications with the cause's transaction and wakes the dispatcher after the commit. */
  notifier: Pick<Notifier, 'transaction' | 'emergency' | 'lead' | 'booking'>;
  /** The knowledge base's search for a business, best first. */
  searchKnowledge: (businessId: BusinessId, query: string, signal: AbortSignal) => Promise<KnowledgeHit[]>;
  now?: () => Date;
  logger?: Logger;
  /**
   * Attempts at writing an emergency before giving up (a dropped connection must not lose it).
   * Default 3.
   */
  emergencyAttempts?: number;
}

export interface ConversationBinding {
  /** The business as loaded when the conversation began (a snapshot: edits apply to the next one). */
  business: Business;
  /** The conversation's id: the Twilio CallSid on the phone, the channel's own id elsewhere. */
  callSid: string;
  /** The conversation's call record, when the caller already knows it (saves a lookup). */
  callId?: CallId | undefined;
  channel: Channel;
  /** Caller ID, when the channel has one. */
  callerId?: E164 | undefined;
}

/** Longest question or summary kept (what the brain sends is normally a sentence or two). */
const MAX_TEXT = 4000;
/** A lead's short fields: what a person's name, number or email can be, not a pasted page. */
const FIELD_MAX: Readonly<Record<string, number>> = { name: 120, phone: 40, email: 254 };
const CELL_MS = BOOKING_CELL_MINUTES * 60_000;
/** findSlots looks at most this far ahead, whatever it is asked. */
const MAX_SLOT_RANGE_MS = 62 * 86_400_000;

/** Thrown inside a booking transaction to roll it back with the repository's answer. */
class Refused extends Error {
  constructor(readonly reason: 'taken' | 'invalid' | 'not-found') {
    super(reason);
  }
}

export function createStoreTools(deps: StoreToolsDeps, conversation: ConversationBinding): AgentTools {
  return new StoreTools(deps, conversation);
}

class StoreTools implements AgentTools {
  private readonly businessId: BusinessId;
  private readonly profile: BusinessProfile;
  private readonly settings: NotificationSettings;
  private readonly now: () => Date;
  private readonly log: Logger | undefined;
  private callIdPromise: Promise<CallId> | undefined;
  /** Lead writes one after another, so an older snapshot never lands after a newer one. */
  private leadChain: Promise<unknown> = Promise.resolve();
  private leadNotified = false;
  /** Bookings this conversation may move or cancel: made here, or found by the caller's phone. */
  private readonly knownBookings = new Set<string>();

  constructor(
    private readonly deps: StoreToolsDeps,
    private readonly conv: ConversationBinding,
  ) {
    this.businessId = conv.business.id;
    this.now = deps.now ?? (() => new Date());
    this.log = deps.logger;
    const { profile, problems } = profileFromStored(conv.business);
    this.profile = profile;
    const notify = resolveNotificationSettings(conv.business.settings, {
      emergencyNumber: profile.emergencyNumber,
    });
    this.settings = notify.settings;
    if (!PLAN_LIMITS[conv.business.plan].emergencyVoiceCalls && this.settings.emergency.calls.length > 0) {
      // The plan table: emergency voice calls are a PRO feature; SMS, email and Slack still go.
      this.settings.emergency.calls = [];
      problems.push(`notifications.emergency.calls: the ${conv.business.plan} plan has no voice alerts`);
    }
    problems.push(...notify.problems);
    if (problems.length > 0)
      this.log?.warn({ businessId: this.businessId, problems }, 'business settings partly unusable');
    if (conv.callId) this.callIdPromise = Promise.resolve(conv.callId);
  }

  // ---- knowledge -------------------------------------------------------------------------------

  async searchKnowledge(query: string, signal: AbortSignal): Promise<KnowledgeHit[]> {
    if (signal.aborted || !query.trim()) return [];
    return this.deps.searchKnowledge(this.businessId, query, signal);
  }

  async recordQuestion(
    req: { text: string; transcript: readonly TranscriptEntry[] },
    signal: AbortSignal,
  ): Promise<void> {
    signal.throwIfAborted();
    const question = req.text.trim().slice(0, MAX_TEXT);
    if (!question) return;
    await new QuestionsRepo(this.deps.db).create({
      businessId: this.businessId,
      question,
      transcript: stored(req.transcript),
      callId: await this.callIdOrNull(),
      callSid: this.conv.callSid,
    });
  }

  // ---- leads -----------------------------------------------------------------------------------

  async saveLead(lead: LeadUpdate, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const run = this.leadChain.then(() => this.writeLead(lead));
    this.leadChain = run.catch(() => {});
    return run;
  }

  private async writeLead(lead: LeadUpdate): Promise<void> {
    const fields: Record<string, string> = {};
    for (const [k, v] of Object.entries(lead.fields)) {
      const value = v?.trim();
      if (value) fields[k] = value.slice(0, FIELD_MAX[k] ?? MAX_TEXT);
    }
    if (Object.keys(fields).length === 0) return;
    if (fields['phone']) fields['phone'] = parseE164(fields['phone']) ?? fields['phone'];
    // Without the call record the upsert has nothing to be one-per: fail rather than duplicate.
    const callId = await this.callId();
    const notify = lead.complete && !this.leadNotified;
    const write = async (tx: DbTx) => {
      const saved = await new LeadsRepo(tx).save({
        businessId: this.businessId,
        callId,
        callSid: this.conv.callSid,
        channel: this.conv.channel,
        fields,
        complete: lead.complete,
        transcript: stored(lead.transcript),
      });
      if (notify) {
        // Dedupe key lead:<id>: a lead notifies once, however often it is saved complete.
        await this.deps.notifier.lead(tx, this.settings, {
          businessId: this.businessId,
          businessName: this.conv.business.name,
          leadId: saved.id,
          callSid: this.conv.callSid,
          fields,
          complete: true,
          transcript: lead.transcript,
          at: this.now(),
          timeZone: this.profile.timezone,
        });
      }
    };
    if (notify) {
      await this.deps.notifier.transaction(write);
      this.leadNotified = true;
    } else await this.deps.db.transaction(write);
  }

  // ---- emergencies -----------------------------------------------------------------------------

  /**
   * The record and every notification in one transaction, then the dispatcher is woken. Written
   * even when `signal` has aborted: a caller who hangs up right after "my basement is flooding"
   * must still reach the owner. Retried on failure (each attempt is all or nothing).
   */
  async raiseEmergency(report: EmergencyReport, _signal: AbortSignal): Promise<void> {
    // The call record is nice to link, never worth waiting on or failing for.
    const callId = await this.callIdOrNull();
    const attempts = Math.max(1, this.deps.emergencyAttempts ?? 3);
    const at = this.now();
    const callerId = report.callerId ?? this.conv.callerId;
    for (let attempt = 1; ; attempt++) {
      try {
        const written = await this.deps.notifier.transaction(async (tx) => {
          const emergency = await new EmergenciesRepo(this.deps.db).create(
            {
              businessId: this.businessId,
              callId,
              callSid: this.conv.callSid,
              channel: this.conv.channel,
              category: report.category,
              trigger: report.trigger.slice(0, MAX_TEXT),
              summary: report.summary.slice(0, MAX_TEXT),
              callerId: callerId ?? null,
              transcript: stored(report.transcript),
            },
            tx,
          );
          const sent = await this.deps.notifier.emergency(tx, this.settings, {
            businessId: this.businessId,
            businessName: this.conv.business.name,
            emergencyId: emergency.id,
            callSid: this.conv.callSid,
            category: report.category,
            trigger: report.trigger,
            summary: report.summary,
            callerId,
            transcript: report.transcript,
            at,
            timeZone: this.profile.timezone,
          });
          return { emergency, sent };
        });
        this.log?.info(
          {
            businessId: this.businessId,
            emergencyId: written.emergency.id,
            category: report.category,
            notifications: written.sent.notifications.length + (written.sent.escalationId ? 1 : 0),
          },
          'emergency raised',
        );
        if (written.sent.notifications.length === 0 && !written.sent.escalationId)
          this.log?.error(
            { businessId: this.businessId },
            'emergency raised but nobody is set up to be told',
          );
        return;
      } catch (err) {
        if (attempt >= attempts) throw err;
        this.log?.warn({ err, attempt }, 'writing the emergency failed; retrying');
        await new Promise((r) => setTimeout(r, 100 * 4 ** (attempt - 1)));
      }
    }
  }

  // ---- hand-over -------------------------------------------------------------------------------

  /** Recorded on the call; the channel itself moves the call (Twilio REST) on the brain's output. */
  async transfer(
    req: { to: E164; summary: string; reason: 'caller-request' | 'emergency' },
    signal: AbortSignal,
  ): Promise<void> {
    signal.throwIfAborted();
    await new CallsRepo(this.deps.db).appendEvent(asCallSid(this.conv.callSid), 'transfer-requested', {
      to: req.to,
      reason: req.reason,
      summary: req.summary.slice(0, MAX_TEXT),
    });
  }

  // ---- bookings --------------------------------------------------------------------------------

  async findSlots(
    req: { serviceId: string; from: string; to: string; limit: number },
    signal: AbortSignal,
  ): Promise<Slot[]> {
    signal.throwIfAborted();
    const svc = this.bookable(req.serviceId);
    const from = new Date(req.from);
    const asked = new Date(req.to);
    if (!svc || !valid(from) || !valid(asked) || asked <= from) return [];
    const to = new Date(Math.min(asked.getTime(), from.getTime() + MAX_SLOT_RANGE_MS));
    const busy = await new BookingsRepo(this.deps.db).busy(this.businessId, from, to);
    signal.throwIfAborted();
    return freeSlots({
      hours: this.profile.hours,
      timeZone: this.profile.timezone,
      durationMinutes: svc.durationMinutes,
      from,
      to,
      busy: busy.map((b) => ({ start: b.startsAt, end: b.endsAt })),
      now: this.now(),
      limit: Math.max(1, Math.min(req.limit, 500)),
    }).map((s) => ({ start: s.start.toISOString(), end: s.end.toISOString() }));
  }

  async findBookings(req: { phone: E164 }, signal: AbortSignal): Promise<BookingRecord[]> {
    signal.throwIfAborted();
    const phone = parseE164(req.phone);
    if (!phone) return [];
    const found = await new BookingsRepo(this.deps.db).upcomingForPhone(this.businessId, phone, this.now());
    for (const b of found) this.knownBookings.add(b.id);
    return found.map(record);
  }

  async book(
    req: { serviceId: string; start: string; customerName?: string; customerPhone?: E164; note?: string },
    signal: AbortSignal,
  ): Promise<BookResult> {
    signal.throwIfAborted();
    const svc = this.bookable(req.serviceId);
    const start = new Date(req.start);
    if (!svc || !valid(start)) return { ok: false, reason: 'invalid' };
    const end = new Date(start.getTime() + svc.durationMinutes * 60_000);
    if (!this.bookableTime(start, end)) return { ok: false, reason: 'invalid' };
    const customerPhone = (req.customerPhone && parseE164(req.customerPhone)) || this.conv.callerId;
    const callId = await this.callIdOrNull();
    const result = await this.bookingWrite(async (tx) => {
      const r = await new BookingsRepo(tx).book({
        businessId: this.businessId,
        serviceId: svc.id,
        startsAt: start,
        // The database keeps whole five-minute cells; a 50-minute job holds until the next cell.
        endsAt: ceilToCell(end),
        customerName: req.customerName?.trim().slice(0, 200) || null,
        customerPhone: customerPhone ?? null,
        note: req.note?.slice(0, MAX_TEXT) ?? null,
        callId,
        callSid: this.conv.callSid,
      });
      if (!r.ok) throw new Refused(r.reason === 'off-grid' ? 'invalid' : r.reason);
      await this.notifyBooking(tx, 'booked', r.booking, svc);
      return r.booking;
    });
    if (result.ok) this.knownBookings.add(result.booking.id);
    return result;
  }

  async reschedule(req: { bookingId: string; start: string }, signal: AbortSignal): Promise<BookResult> {
    signal.throwIfAborted();
    const existing = await this.ownBooking(req.bookingId);
    if (!existing) return { ok: false, reason: 'not-found' };
    const svc = this.profile.services.find((s) => s.id === existing.serviceId);
    const start = new Date(req.start);
    if (!valid(start)) return { ok: false, reason: 'invalid' };
    const length = svc
      ? svc.durationMinutes * 60_000
      : existing.endsAt.getTime() - existing.startsAt.getTime();
    const end = new Date(start.getTime() + length);
    if (!this.bookableTime(start, end)) return { ok: false, reason: 'invalid' };
    return this.bookingWrite(async (tx) => {
      const r = await new BookingsRepo(tx).reschedule(this.businessId, existing.id, start, ceilToCell(end));
      if (!r.ok) throw new Refused(r.reason === 'off-grid' ? 'invalid' : r.reason);
      await this.notifyBooking(tx, 'moved', r.booking, svc);
      return r.booking;
    });
  }

  async cancel(req: { bookingId: string }, signal: AbortSignal): Promise<{ ok: boolean }> {
    signal.throwIfAborted();
    const existing = await this.ownBooking(req.bookingId);
    if (!existing) return { ok: false };
    const svc = this.profile.services.find((s) => s.id === existing.serviceId);
    const r = await this.bookingWrite(async (tx) => {
      if (!(await new BookingsRepo(tx).cancel(this.businessId, existing.id))) throw new Refused('not-found');
      await this.notifyBooking(tx, 'cancelled', existing, svc);
      return existing;
    });
    return { ok: r.ok };
  }

  /** Runs a booking change with its notifications; a refusal rolls the transaction back. */
  private async bookingWrite(fn: (tx: DbTx) => Promise<Booking>): Promise<BookResult> {
    try {
      return { ok: true, booking: record(await this.deps.notifier.transaction(fn)) };
    } catch (err) {
      if (err instanceof Refused) return { ok: false, reason: err.reason };
      throw err;
    }
  }

  private async notifyBooking(
    tx: DbTx,
    action: 'booked' | 'moved' | 'cancelled',
    b: Booking,
    svc: Service | undefined,
  ): Promise<void> {
    const phone = b.customerPhone ?? undefined;
    await this.deps.notifier.booking(tx, this.settings, {
      businessId: this.businessId,
      businessName: this.conv.business.name,
      bookingId: b.id,
      callSid: this.conv.callSid,
      action,
      serviceName: svc?.name ?? 'appointment',
      start: b.startsAt.toISOString(),
      end: b.endsAt.toISOString(),
      customerName: b.customerName ?? undefined,
      // A WhatsApp conversation gets its confirmation where it is talking.
      customerPhone: phone && this.conv.channel === 'whatsapp' ? `whatsapp:${phone}` : phone,
      timeZone: this.profile.timezone,
    });
  }

  private bookable(serviceId: string): Service | undefined {
    return this.profile.services.find((s) => s.id === serviceId && s.bookable);
  }

  /** In the future, and wholly inside one stretch of opening hours. */
  private bookableTime(start: Date, end: Date): boolean {
    if (start.getTime() <= this.now().getTime()) return false;
    const around = new Date(start.getTime() - 86_400_000);
    return openIntervals(this.profile.hours, this.profile.timezone, around, 3).some(
      (i) => i.start.getTime() <= start.getTime() && end.getTime() <= i.end.getTime(),
    );
  }

  /**
   * A live booking this conversation may change: one it made or found by phone, or one made for
   * the caller ID. Anything else is 'not found', so a model cannot be talked into moving a
   * stranger's appointment by its id.
   */
  private async ownBooking(id: string): Promise<Booking | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const b = await new BookingsRepo(this.deps.db).getById(this.businessId, id);
    if (!b || b.status !== 'booked') return undefined;
    const mine =
      this.knownBookings.has(b.id) ||
      b.callSid === this.conv.callSid ||
      (this.conv.callerId !== undefined && b.customerPhone === this.conv.callerId);
    return mine ? b : undefined;
  }

  // ---- the conversation's call record ----------------------------------------------------------

  /**
   * The call record's id, creating the record if the channel has not (a chat conversation), so
   * the conversation's lead is one row updated in place. Looked up once per conversation.
   */
  private callId(): Promise<CallId> {
    this.callIdPromise ??= new CallsRepo(this.deps.db)
      .create({
        callSid: asCallSid(this.conv.callSid),
        businessId: this.businessId,
        from: this.conv.callerId ?? null,
        channel: this.conv.channel,
        status: 'in-progress',
      })
      .then(({ call }) => call.id);
    this.callIdPromise.catch(() => (this.callIdPromise = undefined));
    return this.callIdPromise;
  }

  private async callIdOrNull(): Promise<CallId | null> {
    try {
      return await this.callId();
    } catch (err) {
      this.log?.warn({ err }, 'could not find the call record; keeping the record unlinked');
      return null;
    }
  }
}

function valid(d: Date): boolean {
  return Number.isFinite(d.getTime());
}

function ceilToCell(d: Date): Date {
  return new Date(Math.ceil(d.getTime() / CELL_MS) * CELL_MS);
}

function record(b: Booking): BookingRecord {
  const r: BookingRecord = {
    id: b.id,
    serviceId: b.serviceId,
    start: b.startsAt.toISOString(),
    end: b.endsAt.toISOString(),
  };
  if (b.customerName) r.customerName = b.customerName;
  const phone = b.customerPhone ? parseE164(b.customerPhone) : undefined;
  if (phone) r.customerPhone = phone;
  return r;
}

function stored(transcript: readonly TranscriptEntry[]): StoredTranscriptEntry[] {
  return transcript.map((t) => ({
    speaker: t.speaker,
    text: t.text,
    // Dates become strings when a transcript has been through JSON (a stored conversation).
    ...(t.at && valid(new Date(t.at)) ? { at: new Date(t.at).toISOString() } : {}),
    ...(t.interrupted ? { interrupted: true } : {}),
  }));
}
