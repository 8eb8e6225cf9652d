import { freeSlots } from '../../src/business/availability.js';
import type { BusinessProfile } from '../../src/business/profile.js';
import type {
  AgentTools,
  BookingRecord,
  BookResult,
  EmergencyReport,
  KnowledgeHit,
  LeadUpdate,
} from '../../src/agent/tools.js';
import { contentWords } from '../../src/agent/knowledge.js';
import type { E164 } from '../../src/ids.js';

export interface KnowledgeDoc {
  title: string;
  text: string;
}

/**
 * In-memory AgentTools for tests and the bench: the same availability rules as production, and a
 * double-booking check standing in for the database constraint.
 */
export class FakeTools implements AgentTools {
  readonly leads: LeadUpdate[] = [];
  readonly emergencies: EmergencyReport[] = [];
  readonly questions: string[] = [];
  readonly transfers: { to: E164; summary: string; reason: string }[] = [];
  readonly bookings: BookingRecord[];
  readonly docs: KnowledgeDoc[];
  private nextId = 1;

  constructor(
    readonly business: BusinessProfile,
    readonly now: () => Date,
    opts: { bookings?: BookingRecord[]; docs?: KnowledgeDoc[] } = {},
  ) {
    this.bookings = opts.bookings ?? [];
    this.docs = opts.docs ?? [];
  }

  get lastLead(): LeadUpdate | undefined {
    return this.leads[this.leads.length - 1];
  }

  async searchKnowledge(query: string): Promise<KnowledgeHit[]> {
    const q = new Set(contentWords(query));
    return this.docs
      .map((d) => {
        const words = new Set(contentWords(`${d.title} ${d.text}`));
        const shared = [...q].filter((w) => words.has(w)).length;
        return { text: d.text, title: d.title, score: q.size ? shared / q.size : 0 };
      })
      .filter((h) => h.score >= 0.5)
      .sort((a, b) => b.score - a.score);
  }

  async saveLead(lead: LeadUpdate): Promise<void> {
    this.leads.push(structuredClone(lead));
  }

  async findSlots(req: { serviceId: string; from: string; to: string; limit: number }) {
    const svc = this.business.services.find((s) => s.id === req.serviceId);
    if (!svc) return [];
    return freeSlots({
      hours: this.business.hours,
      timeZone: this.business.timezone,
      durationMinutes: svc.durationMinutes,
      from: new Date(req.from),
      to: new Date(req.to),
      busy: this.bookings.map((b) => ({ start: new Date(b.start), end: new Date(b.end) })),
      now: this.now(),
      limit: req.limit,
    }).map((s) => ({ start: s.start.toISOString(), end: s.end.toISOString() }));
  }

  async findBookings(req: { phone: E164 }) {
    return this.bookings.filter((b) => b.customerPhone === req.phone);
  }

  private overlaps(start: number, end: number, except?: string): boolean {
    return this.bookings.some(
      (b) => b.id !== except && new Date(b.start).getTime() < end && new Date(b.end).getTime() > start,
    );
  }

  async book(req: {
    serviceId: string;
    start: string;
    customerName?: string;
    customerPhone?: E164;
  }): Promise<BookResult> {
    const svc = this.business.services.find((s) => s.id === req.serviceId);
    if (!svc) return { ok: false, reason: 'invalid' };
    const start = new Date(req.start).getTime();
    const end = start + svc.durationMinutes * 60_000;
    if (this.overlaps(start, end)) return { ok: false, reason: 'taken' };
    const booking: BookingRecord = {
      id: `bk${this.nextId++}`,
      serviceId: svc.id,
      start: new Date(start).toISOString(),
      end: new Date(end).toISOString(),
    };
    if (req.customerName) booking.customerName = req.customerName;
    if (req.customerPhone) booking.customerPhone = req.customerPhone;
    this.bookings.push(booking);
    return { ok: true, booking };
  }

  async reschedule(req: { bookingId: string; start: string }): Promise<BookResult> {
    const b = this.bookings.find((x) => x.id === req.bookingId);
    if (!b) return { ok: false, reason: 'not-found' };
    const duration = new Date(b.end).getTime() - new Date(b.start).getTime();
    const start = new Date(req.start).getTime();
    if (this.overlaps(start, start + duration, b.id)) return { ok: false, reason: 'taken' };
    b.start = new Date(start).toISOString();
    b.end = new Date(start + duration).toISOString();
    return { ok: true, booking: { ...b } };
  }

  async cancel(req: { bookingId: string }) {
    const i = this.bookings.findIndex((x) => x.id === req.bookingId);
    if (i < 0) return { ok: false };
    this.bookings.splice(i, 1);
    return { ok: true };
  }

  async raiseEmergency(report: EmergencyReport): Promise<void> {
    this.emergencies.push(report);
  }

  async recordQuestion(req: { text: string }): Promise<void> {
    this.questions.push(req.text);
  }

  async transfer(req: { to: E164; summary: string; reason: string }): Promise<void> {
    this.transfers.push(req);
  }
}
