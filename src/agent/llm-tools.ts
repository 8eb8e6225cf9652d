import { z } from 'zod';
import { addDays, fromLocal, openStatus, speakWhen, toLocal, type CivilDate } from '../business/index.js';
import type { BusinessProfile } from '../business/index.js';
import { parseE164, type E164 } from '../ids.js';
import type { ToolCall, ToolSpec } from '../providers/llm/index.js';
import type {
  BrainOutput,
  ConversationContext,
  EmergencyCategory,
  EndReason,
  TranscriptEntry,
} from './brain.js';
import { categoriesFor } from './emergency.js';
import { extractPhone, phoneFromDigits } from './extract/phone.js';
import type { LlmState } from './llm-state.js';
import type { Logger } from '../shared/index.js';
import { leadQuestionsFor } from './rules/lead-flow.js';
import type { AgentTools, BookingRecord } from './tools.js';

/**
 * The tools the LLM may call, as JSON Schema for the model and as code over AgentTools. Every
 * argument comes from the model, so each is checked with zod; a bad call gets an error result
 * the model can correct, never an exception. Writes that must survive a barge-in (lead,
 * emergency, booking) use the conversation's lifetime signal, reads the turn's signal.
 */

export interface ToolEnv {
  readonly ctx: ConversationContext;
  readonly st: LlmState;
  readonly tools: AgentTools;
  /** The turn's signal (aborted on barge-in). */
  readonly signal: AbortSignal;
  /** The conversation's signal. */
  readonly lifetime: AbortSignal;
  readonly logger: Logger | undefined;
  /** The caller's words this turn ('' for keypad input). */
  readonly callerText: string;
  /** The transcript with the current turn. */
  readonly transcript: readonly TranscriptEntry[];
  readonly voice: boolean;
}

export type TerminalOutput = Extract<BrainOutput, { type: 'end-call' } | { type: 'transfer' }>;

export interface ToolOutcome {
  /** What the model is told (JSON). */
  readonly result: Record<string, unknown>;
  /** Events for the channel, in order. */
  readonly outputs: readonly BrainOutput[];
  /** The call leaves the brain after this turn's speech. */
  readonly terminal?: TerminalOutput;
  /** Said before the terminal output when the model said nothing this turn. */
  readonly closing?: string;
}

const SLOT_LIMIT = 6;
const PASSAGE_CHARS = 700;

export function toolSpecs(b: BusinessProfile): ToolSpec[] {
  const serviceIds = b.services.filter((s) => s.bookable).map((s) => s.id);
  const categories = [...categoriesFor(b.trade)];
  const specs: ToolSpec[] = [
    {
      name: 'search_knowledge',
      description: "Search the business's documents and FAQ for facts to answer the caller's question.",
      parameters: obj({ query: str('What to look up, in a few words') }, ['query']),
    },
    {
      name: 'record_question',
      description: 'Record a question you could not answer, for the owner to follow up.',
      parameters: obj({ question: str("The caller's question") }, ['question']),
    },
    {
      name: 'save_lead',
      description:
        'Save what you learnt about the caller (any subset of fields). Call it whenever you learn something.',
      parameters: obj({
        name: str("The caller's name"),
        phone: str('Callback number, digits'),
        use_caller_id: {
          type: 'boolean',
          description: 'The caller agreed to be called back on the number they call from',
        },
        address: str('Where the work is needed'),
        need: str('What they need, in a short phrase'),
        urgency: { type: 'string', enum: ['urgent', 'this week', 'flexible'] },
        email: str('Email address'),
      }),
    },
    {
      name: 'raise_emergency',
      description: 'Alert the on-call team at once about an emergency the caller describes.',
      parameters: obj(
        {
          category: { type: 'string', enum: categories },
          summary: str('One sentence for the on-call team: what is happening and where'),
        },
        ['category', 'summary'],
      ),
    },
    {
      name: 'transfer_to_human',
      description: 'Put the caller through to a person.',
      parameters: obj(
        {
          reason: { type: 'string', enum: ['caller-request', 'emergency'] },
          summary: str('One or two sentences for the person taking the call: who, what, callback number'),
        },
        ['reason', 'summary'],
      ),
    },
    {
      name: 'end_call',
      description: 'Hang up after your goodbye, when the caller has nothing else.',
      parameters: obj({ reason: { type: 'string', enum: ['caller-goodbye', 'completed'] } }),
    },
  ];
  if (serviceIds.length > 0) {
    const service = { type: 'string', enum: serviceIds, description: 'Service id' };
    specs.push(
      {
        name: 'find_slots',
        description: 'Free appointment times for a service, from a local date, earliest first.',
        parameters: obj(
          {
            service_id: service,
            date: str('First local date to search, YYYY-MM-DD'),
            days: {
              type: 'integer',
              minimum: 1,
              maximum: 14,
              description: 'How many days to search (default 1)',
            },
          },
          ['service_id', 'date'],
        ),
      },
      {
        name: 'book_appointment',
        description: 'Book a slot that find_slots returned, once the caller has agreed to it.',
        parameters: obj(
          {
            service_id: service,
            start: str('The start exactly as find_slots returned it'),
            name: str("The caller's name"),
            phone: str('Their phone number, if not from caller ID'),
            note: str('Anything the team should know'),
          },
          ['service_id', 'start'],
        ),
      },
      {
        name: 'find_my_bookings',
        description: "The caller's upcoming bookings, found by their phone number.",
        parameters: obj({ phone: str('Their phone number, if not from caller ID') }),
      },
      {
        name: 'move_booking',
        description: 'Move a booking to a new start that find_slots returned.',
        parameters: obj({ booking_id: str('From find_my_bookings'), new_start: str('From find_slots') }, [
          'booking_id',
          'new_start',
        ]),
      },
      {
        name: 'cancel_booking',
        description: 'Cancel a booking once the caller confirmed.',
        parameters: obj({ booking_id: str('From find_my_bookings') }, ['booking_id']),
      },
    );
  }
  return specs;
}

function obj(properties: Record<string, unknown>, required: string[] = []): Record<string, unknown> {
  return { type: 'object', properties, required, additionalProperties: false };
}

function str(description: string): Record<string, unknown> {
  return { type: 'string', description };
}

// ---- argument schemas ------------------------------------------------------------------------

const text = z.string().trim().min(1).max(2000);
const optText = z.string().trim().max(2000).optional().nullable();

const ARGS = {
  search_knowledge: z.object({ query: text }),
  record_question: z.object({ question: text }),
  save_lead: z.object({
    name: optText,
    phone: optText,
    use_caller_id: z.boolean().optional().nullable(),
    address: optText,
    need: optText,
    urgency: optText,
    email: optText,
  }),
  raise_emergency: z.object({ category: z.string(), summary: text }),
  transfer_to_human: z.object({ reason: z.enum(['caller-request', 'emergency']), summary: text }),
  end_call: z.object({ reason: z.enum(['caller-goodbye', 'completed']).optional().nullable() }),
  find_slots: z.object({
    service_id: z.string(),
    date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    days: z.coerce.number().int().min(1).max(14).optional().nullable(),
  }),
  book_appointment: z.object({
    service_id: z.string(),
    start: z.string(),
    name: optText,
    phone: optText,
    note: optText,
  }),
  find_my_bookings: z.object({ phone: optText }),
  move_booking: z.object({ booking_id: z.string(), new_start: z.string() }),
  cancel_booking: z.object({ booking_id: z.string() }),
} as const;

type ToolName = keyof typeof ARGS;

const fail = (error: string): ToolOutcome => ({ result: { ok: false, error }, outputs: [] });

export async function runTool(call: ToolCall, env: ToolEnv): Promise<ToolOutcome> {
  if (!(call.name in ARGS)) return fail(`unknown tool ${call.name}`);
  const name = call.name as ToolName;
  if (call.invalid) return fail(`arguments were not valid JSON: ${call.invalid}`);
  const parsed = ARGS[name].safeParse(call.arguments ?? {});
  if (!parsed.success) {
    return fail(
      `invalid arguments: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  // The parse above matched `name`, so the handler gets the arguments it declares.
  const handler = HANDLERS[name] as (a: unknown, env: ToolEnv) => Promise<ToolOutcome> | ToolOutcome;
  try {
    return await handler(parsed.data, env);
  } catch (err) {
    if (env.signal.aborted) throw err;
    env.logger?.warn({ err, tool: name }, 'an LLM tool failed');
    return fail('the system could not do that just now');
  }
}

type Args<N extends ToolName> = z.infer<(typeof ARGS)[N]>;

const HANDLERS: { [N in ToolName]: (a: Args<N>, env: ToolEnv) => Promise<ToolOutcome> | ToolOutcome } = {
  search_knowledge: (a, env) => searchKnowledge(a, env),
  record_question: (a, env) => recordQuestion(a, env),
  save_lead: (a, env) => saveLead(a, env),
  raise_emergency: (a, env) => raiseEmergency(a, env),
  transfer_to_human: (a, env) => transfer(a, env),
  end_call: (a, env) => endCall(a, env),
  find_slots: (a, env) => findSlots(a, env),
  book_appointment: (a, env) => book(a, env),
  find_my_bookings: (a, env) => findBookings(a, env),
  move_booking: (a, env) => moveBooking(a, env),
  cancel_booking: (a, env) => cancelBooking(a, env),
};

async function searchKnowledge(a: Args<'search_knowledge'>, env: ToolEnv): Promise<ToolOutcome> {
  let hits;
  try {
    hits = await env.tools.searchKnowledge(a.query, env.signal);
  } catch (err) {
    if (env.signal.aborted) throw err;
    // Past its time budget (or failing): the question goes to the owner now, the caller is told so.
    env.logger?.warn({ err }, 'knowledge search failed');
    await env.tools.recordQuestion({ text: a.query, transcript: env.transcript }, env.lifetime);
    return {
      result: {
        ok: false,
        note: 'The search did not finish in time. Tell the caller you will check with the team; the question has been passed on to them.',
      },
      outputs: [{ type: 'question-for-owner', text: a.query }],
    };
  }
  if (hits.length === 0) {
    return {
      result: { ok: true, results: [], note: 'Nothing found. Do not guess: offer to pass the question on.' },
      outputs: [],
    };
  }
  const results = hits.slice(0, 3).map((h) => ({
    ...(h.title ? { title: h.title } : {}),
    text: h.text.replace(/\s+/g, ' ').trim().slice(0, PASSAGE_CHARS),
  }));
  return { result: { ok: true, results }, outputs: [] };
}

async function recordQuestion(a: Args<'record_question'>, env: ToolEnv): Promise<ToolOutcome> {
  await env.tools.recordQuestion({ text: a.question, transcript: env.transcript }, env.lifetime);
  return { result: { ok: true }, outputs: [{ type: 'question-for-owner', text: a.question }] };
}

/** A phone number as the model wrote it ("312-555-0199", "+44 20 7946 0958", "three one two ..."). */
function phoneOf(s: string | null | undefined): E164 | undefined {
  if (!s) return undefined;
  return parseE164(s) ?? phoneFromDigits(s, s.trim().startsWith('+')) ?? extractPhone(s);
}

function leadComplete(b: BusinessProfile, st: LlmState): boolean {
  return leadQuestionsFor(b)
    .filter((q) => q.required)
    .every((q) => Boolean(st.lead[q.field]));
}

async function saveLead(a: Args<'save_lead'>, env: ToolEnv): Promise<ToolOutcome> {
  const { st, ctx } = env;
  const problems: string[] = [];
  if (a.name) st.lead.name = a.name;
  if (a.address) st.lead.address = a.address;
  if (a.need) st.lead.need = a.need;
  if (a.urgency) st.lead.urgency = a.urgency;
  if (a.email) st.lead.email = a.email;
  if (a.use_caller_id && ctx.callerId) st.lead.phone = ctx.callerId;
  else if (a.use_caller_id) problems.push('there is no caller ID; ask for the number');
  if (a.phone) {
    const phone = phoneOf(a.phone);
    if (phone) st.lead.phone = phone;
    else problems.push('the phone number is not complete; ask for it again, or to key it in');
  }
  const fields = { ...st.lead };
  const complete = leadComplete(ctx.business, st);
  if (Object.keys(fields).length > 0) {
    await env.tools.saveLead({ fields, complete, transcript: env.transcript }, env.lifetime);
  }
  const missing = leadQuestionsFor(ctx.business)
    .map((q) => q.field)
    .filter((f) => !st.lead[f]);
  return {
    result: { ok: problems.length === 0, saved: Object.keys(fields), still_missing: missing, problems },
    outputs: Object.keys(fields).length > 0 ? [{ type: 'lead', fields, complete }] : [],
  };
}

async function raiseEmergency(a: Args<'raise_emergency'>, env: ToolEnv): Promise<ToolOutcome> {
  const { st, ctx } = env;
  const allowed = categoriesFor(ctx.business.trade);
  const category = (allowed.has(a.category as EmergencyCategory) ? a.category : 'other') as EmergencyCategory;
  if (st.emergencies.includes(category)) {
    return {
      result: { ok: true, already_raised: true, note: 'The on-call team already has it.' },
      outputs: [],
    };
  }
  st.emergencies.push(category);
  const trigger = env.callerText || a.summary;
  await env.tools
    .raiseEmergency(
      { category, trigger, summary: a.summary, transcript: env.transcript, callerId: ctx.callerId },
      env.lifetime,
    )
    .catch((err: unknown) => env.logger?.error({ err }, 'raising the emergency failed'));
  const b = ctx.business;
  return {
    result: {
      ok: true,
      alerted: true,
      next:
        b.emergencyNumber && env.voice
          ? 'Tell the caller, give one safety tip, then call transfer_to_human with reason "emergency".'
          : 'Tell the caller, give one safety tip, then get their name, address and callback number (save_lead).',
    },
    outputs: [{ type: 'emergency', category, trigger, summary: a.summary }],
  };
}

async function transfer(a: Args<'transfer_to_human'>, env: ToolEnv): Promise<ToolOutcome> {
  const b = env.ctx.business;
  if (!env.voice) return fail('transfers are only possible on calls; offer to take a message');
  let to: E164 | undefined;
  if (a.reason === 'emergency') to = b.emergencyNumber ?? b.transferNumber;
  else {
    const status = openStatus(b.hours, b.timezone, env.ctx.now);
    if (!status.open) {
      const next = status.nextOpen
        ? `; we open again ${speakWhen(status.nextOpen, env.ctx.now, b.timezone)}`
        : '';
      return fail(`the team is not available now${next}; offer to take a message`);
    }
    to = b.transferNumber;
  }
  if (!to) return fail('there is no one to transfer to; offer to take a message');
  const summary = a.summary;
  await env.tools
    .transfer({ to, summary, reason: a.reason }, a.reason === 'emergency' ? env.lifetime : env.signal)
    .catch((err: unknown) => env.logger?.warn({ err }, 'announcing the transfer failed'));
  return {
    result: { ok: true, transferring: true },
    outputs: [],
    terminal: { type: 'transfer', to, summary, reason: a.reason },
    closing:
      a.reason === 'emergency'
        ? "I'm connecting you to our on-call team now. Please stay on the line."
        : "I'll put you through now. One moment, please.",
  };
}

function endCall(a: Args<'end_call'>, env: ToolEnv): ToolOutcome {
  const reason: EndReason = a.reason ?? 'caller-goodbye';
  return {
    result: { ok: true },
    outputs: [],
    terminal: { type: 'end-call', reason },
    closing: `Thanks for calling ${env.ctx.business.name}. Goodbye!`,
  };
}

function civil(date: string): CivilDate {
  const [y, m, d] = date.split('-').map(Number);
  return { year: y ?? 0, month: m ?? 0, day: d ?? 0 };
}

async function findSlots(a: Args<'find_slots'>, env: ToolEnv): Promise<ToolOutcome> {
  const b = env.ctx.business;
  if (!b.services.some((s) => s.id === a.service_id && s.bookable))
    return fail(`unknown service ${a.service_id}`);
  const day = civil(a.date);
  const start = fromLocal(day, 0, b.timezone);
  if (Number.isNaN(start.getTime())) return fail('bad date');
  const now = env.ctx.now;
  const from = start < now ? now : start;
  const to = fromLocal(addDays(day, a.days ?? 1), 0, b.timezone);
  if (to <= now) return fail('that date is in the past');
  const slots = await env.tools.findSlots(
    { serviceId: a.service_id, from: from.toISOString(), to: to.toISOString(), limit: SLOT_LIMIT },
    env.signal,
  );
  const offered = (env.st.offered[a.service_id] ??= []);
  for (const s of slots) if (!offered.includes(s.start)) offered.push(s.start);
  return {
    result: {
      ok: true,
      slots: slots.map((s) => ({ start: s.start, spoken: speakWhen(new Date(s.start), now, b.timezone) })),
      ...(slots.length === 0 ? { note: 'No free times then; suggest another day.' } : {}),
    },
    outputs: [],
  };
}

/** The offered start equal to `start` (the model may reformat the ISO string). */
function offeredStart(st: LlmState, serviceId: string, start: string): string | undefined {
  const t = Date.parse(start);
  return st.offered[serviceId]?.find((s) => Date.parse(s) === t);
}

function remember(st: LlmState, bk: BookingRecord, status: LlmState['bookings'][number]['status']): void {
  const known = st.bookings.find((x) => x.id === bk.id);
  const row = { id: bk.id, serviceId: bk.serviceId, start: bk.start, end: bk.end, status };
  if (known) Object.assign(known, row);
  else st.bookings.push(row);
}

async function book(a: Args<'book_appointment'>, env: ToolEnv): Promise<ToolOutcome> {
  const { st, ctx } = env;
  const start = offeredStart(st, a.service_id, a.start);
  if (!start) return fail('call find_slots first and use a start exactly as it returned');
  const name = a.name ?? st.lead.name;
  const phone = phoneOf(a.phone) ?? phoneOf(st.lead.phone) ?? ctx.callerId;
  const res = await env.tools.book(
    {
      serviceId: a.service_id,
      start,
      ...(name ? { customerName: name } : {}),
      ...(phone ? { customerPhone: phone } : {}),
      ...(a.note ? { note: a.note } : {}),
    },
    env.lifetime,
  );
  if (!res.ok) {
    if (res.reason === 'taken') {
      const list = st.offered[a.service_id];
      if (list) list.splice(list.indexOf(start), 1);
    }
    return fail(
      res.reason === 'taken'
        ? 'that time was just taken; offer another from find_slots'
        : `not booked (${res.reason})`,
    );
  }
  const bk = res.booking;
  remember(st, bk, 'booked');
  if (name) st.lead.name = name;
  const outputs: BrainOutput[] = [
    {
      type: 'booking',
      action: 'booked',
      bookingId: bk.id,
      serviceId: bk.serviceId,
      start: bk.start,
      end: bk.end,
    },
  ];
  return {
    result: {
      ok: true,
      booking_id: bk.id,
      when: speakWhen(new Date(bk.start), ctx.now, ctx.business.timezone),
    },
    outputs,
  };
}

async function findBookings(a: Args<'find_my_bookings'>, env: ToolEnv): Promise<ToolOutcome> {
  const { st, ctx } = env;
  const phone = phoneOf(a.phone) ?? phoneOf(st.lead.phone) ?? ctx.callerId;
  if (!phone) return fail('ask for the phone number the booking was made with');
  const found = await env.tools.findBookings({ phone }, env.signal);
  for (const bk of found) remember(st, bk, 'existing');
  const tz = ctx.business.timezone;
  return {
    result: {
      ok: true,
      bookings: found.map((bk) => ({
        booking_id: bk.id,
        service: ctx.business.services.find((s) => s.id === bk.serviceId)?.name ?? bk.serviceId,
        service_id: bk.serviceId,
        when: speakWhen(new Date(bk.start), ctx.now, tz),
        local_date: isoLocalDate(new Date(bk.start), tz),
      })),
    },
    outputs: [],
  };
}

function isoLocalDate(at: Date, tz: string): string {
  const l = toLocal(at, tz);
  return `${l.year}-${String(l.month).padStart(2, '0')}-${String(l.day).padStart(2, '0')}`;
}

async function moveBooking(a: Args<'move_booking'>, env: ToolEnv): Promise<ToolOutcome> {
  const { st } = env;
  const known = st.bookings.find((b) => b.id === a.booking_id && b.status !== 'cancelled');
  if (!known) return fail('unknown booking; call find_my_bookings first');
  const start = offeredStart(st, known.serviceId, a.new_start);
  if (!start) return fail('call find_slots for that service first and use a start exactly as it returned');
  const res = await env.tools.reschedule({ bookingId: known.id, start }, env.lifetime);
  if (!res.ok)
    return fail(
      res.reason === 'taken' ? 'that time was just taken; offer another' : `not moved (${res.reason})`,
    );
  const bk = res.booking;
  remember(st, bk, 'moved');
  return {
    result: { ok: true, when: speakWhen(new Date(bk.start), env.ctx.now, env.ctx.business.timezone) },
    outputs: [
      {
        type: 'booking',
        action: 'moved',
        bookingId: bk.id,
        serviceId: bk.serviceId,
        start: bk.start,
        end: bk.end,
      },
    ],
  };
}

async function cancelBooking(a: Args<'cancel_booking'>, env: ToolEnv): Promise<ToolOutcome> {
  const { st } = env;
  const known = st.bookings.find((b) => b.id === a.booking_id && b.status !== 'cancelled');
  if (!known) return fail('unknown booking; call find_my_bookings first');
  const res = await env.tools.cancel({ bookingId: known.id }, env.lifetime);
  if (!res.ok) return fail('could not cancel it');
  known.status = 'cancelled';
  return {
    result: { ok: true },
    outputs: [
      {
        type: 'booking',
        action: 'cancelled',
        bookingId: known.id,
        serviceId: known.serviceId,
        start: known.start,
        end: known.end,
      },
    ],
  };
}
