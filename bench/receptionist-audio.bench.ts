/**
 * The receptionist through audio: about twenty whole phone calls (emergencies, messages and call
 * backs, bookings) through a real server on the embedded default (PGlite, Silero VAD, PocketSphinx
 * with the receptionist language model, flite, the rules brain) and the Twilio simulator, with a
 * caller spoken by Debian's festival, in real time. What each call left is read back through the
 * admin API. Prints emergency recall through offline STT (and false alarms on the other calls), lead
 * fields captured, bookings made correctly, and the recognizer's word error rate on the callers'
 * opening sentences. Asserts nothing. Takes about fifteen minutes.
 *
 *   npx tsx bench/receptionist-audio.bench.ts
 *   RECEPTIONIST_BENCH_VOICE=kal_diphone npx tsx bench/receptionist-audio.bench.ts
 *   RECEPTIONIST_BENCH_ONLY=emergency npx tsx bench/receptionist-audio.bench.ts   (one kind of call)
 */
import { spawnSync } from 'node:child_process';
import { festivalCallerAudio } from '../src/sim/caller-audio.js';
import { parseCallScript } from '../src/sim/script.js';
import { simulateCall, type SimulationReport } from '../src/sim/simulated-call.js';
import { wordErrorRate } from '../test/providers/stt/support/wer.js';
import { startTestServer, type TestServer } from '../test/support/test-server.js';

const VOICE = process.env['RECEPTIONIST_BENCH_VOICE'] ?? 'ked_diphone';
const ONLY = process.env['RECEPTIONIST_BENCH_ONLY'];
const TZ = 'America/New_York';
const EVERY_DAY = [{ open: '07:00', close: '19:00' }];
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

type Turn = { say: string } | { dtmf: string };
const say = (text: string): Turn => ({ say: text });
const keys = (digits: string): Turn => ({ dtmf: digits });
const YES = say('yes that is right');

interface EmergencyCase {
  kind: 'emergency';
  say: string;
  category: string;
}
interface LeadCase {
  kind: 'lead';
  turns: Turn[];
  /** Expected stored fields: exact strings, or patterns for free text. */
  expect: Record<'name' | 'phone' | 'address' | 'need' | 'urgency', string | RegExp>;
  /** The caller's number; the lead's phone when the caller accepts caller ID. */
  from: string;
}
interface BookingCase {
  kind: 'booking';
  turns: Turn[];
  serviceId: string;
  /** Days after today (New York) and local hour the caller asked for. */
  days: number;
  hour: number;
}
type Case = EmergencyCase | LeadCase | BookingCase;

/** The calendar date in `tz` of an instant, plus `days`. */
function localDate(at: Date, days = 0): { year: number; month: number; day: number; weekday: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: TZ,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
  }).formatToParts(at);
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const d = new Date(Date.UTC(n('year'), n('month') - 1, n('day') + days));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    weekday: d.getUTCDay(),
  };
}

function offsetMs(at: Date): number {
  const p = new Intl.DateTimeFormat('en-US', {
    timeZone: TZ,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(at);
  const n = (type: string) => Number(p.find((x) => x.type === type)?.value);
  const wall = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return wall - Math.floor(at.getTime() / 1000) * 1000;
}

/** The instant New York's wall clock reads `hour`:00, `days` after `at`'s local date. */
function localInstant(at: Date, days: number, hour: number): string {
  const d = localDate(at, days);
  const wall = Date.UTC(d.year, d.month - 1, d.day, hour);
  let guess = wall - offsetMs(new Date(wall));
  guess = wall - offsetMs(new Date(guess));
  return new Date(guess).toISOString();
}

function cases(now: Date): Case[] {
  // Weekdays two to four days out: never today or tomorrow, so "on friday" means one date.
  const day = (n: number) => WEEKDAYS[localDate(now, n).weekday]!;
  const emergencies: EmergencyCase[] = [
    { kind: 'emergency', say: 'my basement is flooding', category: 'flooding' },
    { kind: 'emergency', say: 'the pipe burst', category: 'burst-pipe' },
    { kind: 'emergency', say: 'water is everywhere', category: 'flooding' },
    { kind: 'emergency', say: 'the toilet is overflowing', category: 'flooding' },
    { kind: 'emergency', say: 'there is a sewer backup', category: 'sewage' },
    { kind: 'emergency', say: 'the kitchen is flooding', category: 'flooding' },
    { kind: 'emergency', say: 'there is a burst pipe', category: 'burst-pipe' },
    { kind: 'emergency', say: 'we have no water', category: 'no-water' },
  ];
  const leads: LeadCase[] = [
    {
      kind: 'lead',
      from: '+15555550201',
      turns: [
        say('we have a leaking pipe can someone call me back'),
        say('my name is john smith'),
        YES,
        keys('2125550123'),
        YES,
        say('i live at twelve oak avenue'),
        say('today'),
      ],
      expect: {
        name: 'John Smith',
        phone: '+12125550123',
        address: /12 oak avenue/i,
        need: /leaking pipe/i,
        urgency: 'urgent',
      },
    },
    {
      kind: 'lead',
      from: '+15555550202',
      turns: [
        say('i have a clogged drain please call me back'),
        say('my name is mary johnson'),
        YES,
        YES,
        say('it is on main street'),
        say('it is not urgent'),
      ],
      expect: {
        name: 'Mary Johnson',
        phone: '+15555550202',
        address: /main street/i,
        need: /clogged drain/i,
        urgency: 'flexible',
      },
    },
    {
      kind: 'lead',
      from: '+15555550203',
      turns: [
        say('there is a running toilet can someone call me back'),
        say('my name is david brown'),
        YES,
        keys('3125550188'),
        YES,
        say('i live at forty main street'),
        say('today'),
      ],
      expect: {
        name: 'David Brown',
        phone: '+13125550188',
        address: /40 main street/i,
        need: /running toilet/i,
        urgency: 'urgent',
      },
    },
    {
      kind: 'lead',
      from: '+15555550204',
      turns: [
        say('i want to leave a message'),
        say('my name is sarah williams'),
        YES,
        YES,
        say('it is on oak avenue'),
        say('i have a dripping faucet'),
        say('it is not urgent'),
      ],
      expect: {
        name: 'Sarah Williams',
        phone: '+15555550204',
        address: /oak avenue/i,
        need: /dripping faucet/i,
        urgency: 'flexible',
      },
    },
    {
      kind: 'lead',
      from: '+15555550205',
      turns: [
        say('can you take a message'),
        say('my name is peter smith'),
        YES,
        keys('6465550142'),
        YES,
        say('i live at twelve main street'),
        say('there is low water pressure'),
        say('today'),
      ],
      expect: {
        name: 'Peter Smith',
        phone: '+16465550142',
        address: /12 main street/i,
        need: /low water pressure/i,
        urgency: 'urgent',
      },
    },
    {
      kind: 'lead',
      from: '+15555550206',
      turns: [
        say('i need help with a broken water heater'),
        say('my name is linda brown'),
        YES,
        YES,
        say('i live at twelve oak avenue'),
        say('today'),
      ],
      expect: {
        name: 'Linda Brown',
        phone: '+15555550206',
        address: /12 oak avenue/i,
        need: /water heater/i,
        urgency: 'urgent',
      },
    },
  ];
  const book = (ask: string, name: string): Turn[] => [
    say(ask),
    say('yes please'),
    say(`my name is ${name}`),
    YES,
    YES,
  ];
  const bookings: BookingCase[] = [
    {
      kind: 'booking',
      turns: book('i want to book a clogged drain tomorrow at ten', 'james smith'),
      serviceId: 'drain-cleaning',
      days: 1,
      hour: 10,
    },
    {
      kind: 'booking',
      turns: book('i would like to make an appointment for a leaking pipe tomorrow at two', 'karen brown'),
      serviceId: 'leak-repair',
      days: 1,
      hour: 14,
    },
    {
      kind: 'booking',
      turns: book(`can i schedule a visit for no hot water on ${day(2)} at nine`, 'robert williams'),
      serviceId: 'water-heater',
      days: 2,
      hour: 9,
    },
    {
      kind: 'booking',
      turns: book(
        `i want to book an appointment for a blocked drain on ${day(3)} at eleven`,
        'susan johnson',
      ),
      serviceId: 'drain-cleaning',
      days: 3,
      hour: 11,
    },
    {
      kind: 'booking',
      turns: book(
        `i would like to make an appointment for a leaking pipe on ${day(4)} at three`,
        'michael smith',
      ),
      serviceId: 'leak-repair',
      days: 4,
      hour: 15,
    },
    {
      kind: 'booking',
      turns: book('i want to book an appointment for no hot water tomorrow at four', 'anna johnson'),
      serviceId: 'water-heater',
      days: 1,
      hour: 16,
    },
  ];
  const all: Case[] = [...emergencies, ...leads, ...bookings];
  return ONLY ? all.filter((c) => c.kind === ONLY) : all;
}

// ---- the server and its admin API -------------------------------------------------------------

let server: TestServer;

async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(server.baseUrl + path, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${server.app.apiKey}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}
const items = async <T>(path: string) => (await api<{ items: T[] }>(path)).items;

interface StoredTurn {
  speaker: string;
  text: string;
  endedAt: string | null;
}
interface Emergency {
  id: string;
  category: string;
  createdAt: string;
}
interface Notification {
  kind: string;
  cause: string;
  causeId: string | null;
  history: Array<{ attempt: number; startedAt: string }>;
}
interface Lead {
  name: string | null;
  phone: string | null;
  address: string | null;
  need: string | null;
  urgency: string | null;
  complete: boolean;
}
interface Booking {
  serviceId: string;
  startsAt: string;
  status: string;
}

// ---- figures ---------------------------------------------------------------------------------

const pct = (n: number, d: number) => (d === 0 ? '-' : `${((100 * n) / d).toFixed(0)}%`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : (s[Math.floor((s.length - 1) / 2)]! + s[Math.ceil((s.length - 1) / 2)]!) / 2;
};
const short = (s: string, n = 70) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

async function main(): Promise<void> {
  const probe = spawnSync('text2wave', ['-eval', `(voice_${VOICE})`, '-o', '/dev/null'], { input: 'hello' });
  if (probe.status !== 0) {
    console.log(`festival voice ${VOICE} is not installed (text2wave failed): nothing measured`);
    return;
  }
  server = await startTestServer();
  const sim = {
    baseUrl: server.baseUrl,
    authToken: server.app.twilioAuthToken,
    apiKey: server.app.apiKey,
    callerAudio: festivalCallerAudio(VOICE),
  };
  const [business] = await items<{ id: string }>('/api/business');
  await api(`/api/business/${business!.id}`, {
    method: 'PUT',
    body: {
      profile: {
        greeting: 'Acme Plumbing, how can I help?',
        afterHoursGreeting: 'Acme Plumbing, how can I help?',
        hours: {
          weekly: Object.fromEntries(
            ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, EVERY_DAY]),
          ),
          holidays: [],
        },
      },
    },
  });

  const started = new Date();
  const all = cases(started);
  console.log(`receptionist through offline STT audio: ${all.length} calls, caller voice festival ${VOICE}`);
  const openings: Array<{ reference: string; hypothesis: string }> = [];
  const emergency = {
    calls: 0,
    detected: 0,
    rightCategory: 0,
    recordToFirst: [] as number[],
    speechToRecord: [] as number[],
  };
  let falseAlarms = 0;
  let otherCalls = 0;
  const FIELDS = ['name', 'phone', 'address', 'need', 'urgency'] as const;
  const fieldHits = Object.fromEntries(FIELDS.map((f) => [f, 0])) as Record<(typeof FIELDS)[number], number>;
  let leadCalls = 0;
  let completeLeads = 0;
  let bookingCalls = 0;
  let bookedRight = 0;
  const callMs: number[] = [];

  for (const [i, c] of all.entries()) {
    const from = c.kind === 'lead' ? c.from : `+155555503${String(i).padStart(2, '0')}`;
    const turns = c.kind === 'emergency' ? [say(c.say)] : c.turns;
    const t0 = performance.now();
    let report: SimulationReport;
    try {
      report = await simulateCall(parseCallScript({ from, turns, hangupAfterMs: 200 }), sim);
    } catch (err) {
      console.log(`  ${c.kind.padEnd(9)} call failed: ${(err as Error).message}`);
      continue;
    }
    callMs.push(performance.now() - t0);
    const stored = ((report.serverCall as { call?: { turns?: StoredTurn[] } } | undefined)?.call?.turns ??
      []) as StoredTurn[];
    const callerTurns = stored.filter((t) => t.speaker === 'caller');
    const first = turns[0];
    const said = first && 'say' in first ? first.say : '';
    const heard = callerTurns[0]?.text ?? '';
    openings.push({ reference: said, hypothesis: heard });
    const emergencies = await items<Emergency>(`/api/emergencies?callSid=${report.callSid}`);
    let outcome: string;

    if (c.kind === 'emergency') {
      emergency.calls++;
      const e = emergencies[0];
      if (e) {
        emergency.detected++;
        if (e.category === c.category) emergency.rightCategory++;
        const outbox = await items<Notification>(`/api/outbox?callSid=${report.callSid}`);
        const firsts = outbox
          .filter((n) => n.cause === 'emergency' && n.causeId === e.id)
          .flatMap((n) => n.history.filter((h) => h.attempt === 1).map((h) => Date.parse(h.startedAt)));
        const recorded = Date.parse(e.createdAt);
        if (firsts.length > 0) emergency.recordToFirst.push(Math.min(...firsts) - recorded);
        // From where the server heard the caller stop (VAD end of speech) to the record.
        const trigger = callerTurns.find((t) => t.endedAt && Date.parse(t.endedAt) <= recorded);
        if (trigger?.endedAt) emergency.speechToRecord.push(recorded - Date.parse(trigger.endedAt));
        outcome = `${e.category}${e.category === c.category ? '' : ` (expected ${c.category})`}, ${firsts.length} notifications`;
      } else outcome = 'MISSED';
    } else {
      otherCalls++;
      if (emergencies.length > 0) falseAlarms++;
      if (c.kind === 'lead') {
        leadCalls++;
        const lead = (await items<Lead>(`/api/leads?callSid=${report.callSid}`))[0];
        const got: string[] = [];
        for (const f of FIELDS) {
          const want = c.expect[f];
          const value = lead?.[f] ?? null;
          const ok = value !== null && (typeof want === 'string' ? value === want : want.test(value));
          if (ok) fieldHits[f]++;
          else got.push(`${f}=${value === null ? 'none' : JSON.stringify(value)}`);
        }
        if (lead?.complete) completeLeads++;
        outcome = got.length === 0 ? 'all 5 fields' : `missing/wrong: ${got.join(', ')}`;
      } else {
        bookingCalls++;
        const booked = await items<Booking>(`/api/bookings?callSid=${report.callSid}`);
        const want = new Set([
          localInstant(started, c.days, c.hour),
          localInstant(new Date(), c.days, c.hour),
        ]);
        const right =
          booked.length === 1 &&
          booked[0]!.serviceId === c.serviceId &&
          booked[0]!.status === 'booked' &&
          want.has(booked[0]!.startsAt);
        if (right) bookedRight++;
        outcome = right
          ? `booked ${booked[0]!.startsAt}`
          : booked.length === 0
            ? 'no booking'
            : `wrong: ${booked.map((b) => `${b.serviceId} ${b.startsAt}`).join(', ')}`;
      }
      if (emergencies.length > 0) outcome += `; FALSE ALARM (${emergencies[0]!.category})`;
    }
    console.log(
      `  ${c.kind.padEnd(9)} ${(performance.now() - t0) / 1000 < 10 ? ' ' : ''}${((performance.now() - t0) / 1000).toFixed(0)} s  said "${short(said, 52)}" heard "${short(heard, 52)}" -> ${outcome}`,
    );
  }

  const opening = wordErrorRate(openings);
  console.log('');
  console.log(
    `opening sentences: word error rate ${(opening * 100).toFixed(1)}% over ${openings.length} calls`,
  );
  if (emergency.calls > 0) {
    console.log(
      `emergency recall through offline STT: ${emergency.detected}/${emergency.calls} (${pct(emergency.detected, emergency.calls)}), right category ${emergency.rightCategory}/${emergency.detected}`,
    );
    console.log(
      `  record -> first notification attempt: median ${median(emergency.recordToFirst).toFixed(0)} ms, max ${Math.max(...emergency.recordToFirst).toFixed(0)} ms` +
        `; caller's end of speech -> record: median ${median(emergency.speechToRecord).toFixed(0)} ms, max ${Math.max(...emergency.speechToRecord).toFixed(0)} ms`,
    );
  }
  if (otherCalls > 0)
    console.log(
      `false alarms on the other calls: ${falseAlarms}/${otherCalls} (${pct(falseAlarms, otherCalls)})`,
    );
  if (leadCalls > 0) {
    const hits = FIELDS.reduce((n, f) => n + fieldHits[f], 0);
    console.log(
      `lead fields captured: ${hits}/${leadCalls * FIELDS.length} (${pct(hits, leadCalls * FIELDS.length)}); ` +
        FIELDS.map((f) => `${f} ${fieldHits[f]}/${leadCalls}`).join(', ') +
        `; complete leads ${completeLeads}/${leadCalls}`,
    );
  }
  if (bookingCalls > 0)
    console.log(
      `bookings made correctly: ${bookedRight}/${bookingCalls} (${pct(bookedRight, bookingCalls)})`,
    );
  console.log(
    `call length: median ${(median(callMs) / 1000).toFixed(0)} s, total ${(callMs.reduce((a, b) => a + b, 0) / 60_000).toFixed(1)} min`,
  );
  await server.stop();
}

await main();
