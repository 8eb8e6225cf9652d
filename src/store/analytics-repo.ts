import { sql, type SQL } from 'drizzle-orm';
import type { BusinessId } from '../ids.js';
import type { Db } from './database.js';
import { rowsOf } from './raw-rows.js';

/**
 * The dashboard's figures for one business over its last N local days, each an SQL aggregate
 * (PGlite and PostgreSQL alike). A day is a calendar day in the business's timezone; the range
 * ends today (local) and starts N-1 days before.
 *
 * Definitions:
 *  - answered: the call was picked up, by Twilio's report (answered_at) or because our agent's
 *    media stream or an agent-assist stream took it; missed: ended without that. A call still
 *    ringing is in `total` only.
 *  - durations: answered calls with a known duration.
 *  - lead conversion: complete leads / answered calls (capped at 1: leads may come from chat).
 *  - intents: the calls in which the agent filed each kind of outcome, from the call's stored
 *    events (lead, emergency, booking, question-for-owner, transfer); a call may count for several.
 *  - latency: agent turns' voice-to-voice time (firstFrameSentMs: caller's end of speech to the
 *    answer's first audio sent), over the agent turns of the range's calls that reached it.
 */

export const INTENTS = ['emergency', 'lead', 'booking', 'question', 'transfer'] as const;
export type Intent = (typeof INTENTS)[number];

/** The stored call event type each intent is read from (src/voice/call-log.ts writes them). */
const INTENT_EVENT: Record<Intent, string> = {
  emergency: 'emergency',
  lead: 'lead',
  booking: 'booking',
  question: 'question-for-owner',
  transfer: 'transfer',
};

export interface AnalyticsQuery {
  businessId: BusinessId;
  /** IANA zone the days are counted in. */
  timezone: string;
  /** 1..365: today and the days before it. */
  days: number;
  /** Default: the database's now(). */
  now?: Date;
}

export interface AnalyticsFigures {
  /** First and last local day, YYYY-MM-DD. */
  from: string;
  to: string;
  callsPerDay: { date: string; total: number; answered: number; missed: number }[];
  durations: { count: number; avgSec: number; p50Sec: number; p90Sec: number };
  leads: { total: number; complete: number; won: number; conversion: number };
  emergencies: { total: number; acknowledged: number; perDay: { date: string; count: number }[] };
  intents: { intent: Intent; count: number }[];
  latency: { turns: number; p50Ms: number; p95Ms: number; p99Ms: number };
}

interface Range {
  from: string;
  to: string;
  /** The range's bounds as instants: local midnight of `from`, local midnight after `to`. */
  startAt: string;
  endAt: string;
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

export class AnalyticsRepo {
  constructor(private readonly db: Db) {}

  async figures(q: AnalyticsQuery): Promise<AnalyticsFigures> {
    const range = await this.range(q);
    const [callsPerDay, durations, leads, emergencies, intents, latency] = await Promise.all([
      this.callsPerDay(q.businessId, q.timezone, range),
      this.durations(q.businessId, range),
      this.leads(q.businessId, range),
      this.emergencies(q.businessId, q.timezone, range),
      this.intents(q.businessId, range),
      this.latency(q.businessId, range),
    ]);
    const answered = callsPerDay.reduce((n, d) => n + d.answered, 0);
    return {
      from: range.from,
      to: range.to,
      callsPerDay,
      durations,
      leads: {
        ...leads,
        conversion: answered === 0 ? 0 : Math.min(1, Math.round((leads.complete / answered) * 1000) / 1000),
      },
      emergencies,
      intents,
      latency,
    };
  }

  private async range(q: AnalyticsQuery): Promise<Range> {
    const now = q.now ? sql`${q.now.toISOString()}::timestamptz` : sql`now()`;
    const days = Math.min(365, Math.max(1, Math.trunc(q.days)));
    const [row] = rowsOf<Record<string, unknown>>(
      await this.db.execute(sql`
        with r as (
          select (${now} at time zone ${q.timezone})::date as to_day,
                 (${now} at time zone ${q.timezone})::date - ${days - 1}::int as from_day
        )
        select to_char(from_day, 'YYYY-MM-DD') as "from",
               to_char(to_day, 'YYYY-MM-DD') as "to",
               to_char((from_day::timestamp at time zone ${q.timezone}) at time zone 'UTC',
                 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "startAt",
               to_char(((to_day + 1)::timestamp at time zone ${q.timezone}) at time zone 'UTC',
                 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "endAt"
        from r`),
    );
    return {
      from: String(row?.['from']),
      to: String(row?.['to']),
      startAt: String(row?.['startAt']),
      endAt: String(row?.['endAt']),
    };
  }

  /** The business's calls started in the range (the index on business, started_at serves it). */
  private callsIn(businessId: BusinessId, r: Range): SQL {
    return sql`select * from calls
      where business_id = ${businessId}
        and started_at >= ${r.startAt}::timestamptz and started_at < ${r.endAt}::timestamptz`;
  }

  private async callsPerDay(
    businessId: BusinessId,
    tz: string,
    r: Range,
  ): Promise<AnalyticsFigures['callsPerDay']> {
    const rows = rowsOf<Record<string, unknown>>(
      await this.db.execute(sql`
        with c as (${this.callsIn(businessId, r)}),
        d as (
          select (started_at at time zone ${tz})::date as day,
                 (answered_at is not null or stream_claimed_at is not null
                   or assist_claimed_at is not null) as answered,
                 ended_at is not null as ended
          from c
        ),
        days as (
          select generate_series(${r.from}::date, ${r.to}::date, interval '1 day')::date as day
        )
        select to_char(days.day, 'YYYY-MM-DD') as date,
               count(d.day)::int as total,
               count(d.day) filter (where d.answered)::int as answered,
               count(d.day) filter (where not d.answered and d.ended)::int as missed
        from days left join d on d.day = days.day
        group by days.day
        order by days.day`),
    );
    return rows.map((x) => ({
      date: String(x['date']),
      total: num(x['total']),
      answered: num(x['answered']),
      missed: num(x['missed']),
    }));
  }

  private async durations(businessId: BusinessId, r: Range): Promise<AnalyticsFigures['durations']> {
    const [x] = rowsOf<Record<string, unknown>>(
      await this.db.execute(sql`
        with c as (${this.callsIn(businessId, r)})
        select count(*)::int as count,
               coalesce(avg(duration_sec), 0)::float8 as avg,
               coalesce(percentile_cont(0.5) within group (order by duration_sec), 0)::float8 as p50,
               coalesce(percentile_cont(0.9) within group (order by duration_sec), 0)::float8 as p90
        from c
        where duration_sec is not null
          and (answered_at is not null or stream_claimed_at is not null or assist_claimed_at is not null)`),
    );
    return {
      count: num(x?.['count']),
      avgSec: Math.round(num(x?.['avg'])),
      p50Sec: Math.round(num(x?.['p50'])),
      p90Sec: Math.round(num(x?.['p90'])),
    };
  }

  private async leads(
    businessId: BusinessId,
    r: Range,
  ): Promise<Omit<AnalyticsFigures['leads'], 'conversion'>> {
    const [x] = rowsOf<Record<string, unknown>>(
      await this.db.execute(sql`
        select count(*)::int as total,
               count(*) filter (where complete)::int as complete,
               count(*) filter (where status = 'won')::int as won
        from leads
        where business_id = ${businessId}
          and created_at >= ${r.startAt}::timestamptz and created_at < ${r.endAt}::timestamptz`),
    );
    return { total: num(x?.['total']), complete: num(x?.['complete']), won: num(x?.['won']) };
  }

  private async emergencies(
    businessId: BusinessId,
    tz: string,
    r: Range,
  ): Promise<AnalyticsFigures['emergencies']> {
    const rows = rowsOf<Record<string, unknown>>(
      await this.db.execute(sql`
        with e as (
          select (created_at at time zone ${tz})::date as day, acknowledged_at is not null as acknowledged
          from emergencies
          where business_id = ${businessId}
            and created_at >= ${r.startAt}::timestamptz and created_at < ${r.endAt}::timestamptz
        ),
        days as (
          select generate_series(${r.from}::date, ${r.to}::date, interval '1 day')::date as day
        )
        select to_char(days.day, 'YYYY-MM-DD') as date,
               count(e.day)::int as count,
               count(e.day) filter (where e.acknowledged)::int as acknowledged
        from days left join e on e.day = days.day
        group by days.day
        order by days.day`),
    );
    const perDay = rows.map((x) => ({ date: String(x['date']), count: num(x['count']) }));
    return {
      total: perDay.reduce((n, d) => n + d.count, 0),
      acknowledged: rows.reduce((n, x) => n + num(x['acknowledged']), 0),
      perDay,
    };
  }

  private async intents(businessId: BusinessId, r: Range): Promise<AnalyticsFigures['intents']> {
    const rows = rowsOf<Record<string, unknown>>(
      await this.db.execute(sql`
        with c as (${this.callsIn(businessId, r)})
        select ev.type as type, count(distinct ev.call_id)::int as calls
        from call_events ev join c on c.id = ev.call_id
        where ev.type in (${sql.join(
          INTENTS.map((i) => sql`${INTENT_EVENT[i]}`),
          sql`, `,
        )})
        group by ev.type`),
    );
    const byType = new Map(rows.map((x) => [String(x['type']), num(x['calls'])]));
    return INTENTS.map((intent) => ({ intent, count: byType.get(INTENT_EVENT[intent]) ?? 0 }));
  }

  private async latency(businessId: BusinessId, r: Range): Promise<AnalyticsFigures['latency']> {
    const [x] = rowsOf<Record<string, unknown>>(
      await this.db.execute(sql`
        with c as (${this.callsIn(businessId, r)}),
        t as (
          select (t.latency ->> 'firstFrameSentMs')::float8 as ms
          from call_turns t join c on c.id = t.call_id
          where t.speaker = 'agent' and t.latency ->> 'firstFrameSentMs' is not null
        )
        select count(*)::int as turns,
               coalesce(percentile_cont(0.5) within group (order by ms), 0)::float8 as p50,
               coalesce(percentile_cont(0.95) within group (order by ms), 0)::float8 as p95,
               coalesce(percentile_cont(0.99) within group (order by ms), 0)::float8 as p99
        from t`),
    );
    return {
      turns: num(x?.['turns']),
      p50Ms: Math.round(num(x?.['p50'])),
      p95Ms: Math.round(num(x?.['p95'])),
      p99Ms: Math.round(num(x?.['p99'])),
    };
  }
}
