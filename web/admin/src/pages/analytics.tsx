import { useState } from 'preact/hooks';
import { api, ApiFailure, query } from '../api';
import { useSession } from '../session';
import { LoadError, Loading, Notice, Page, Section, navigate, useAsync } from '../ui';
import { millis, percent, rangeFrom, RANGES, seconds, shortDate, type RangeDays } from './parts/chart-scale';
import { DailyBars, HBars, NoData } from './parts/charts';
import './settings.css';

/**
 * How the phone is doing over the last 7, 30 or 90 days (GET /api/analytics): calls per day,
 * durations, lead conversion and emergencies on BASIC; intents and the agent's latency on PRO.
 * FREE has no analytics: the page says which plan has them.
 */

interface Analytics {
  level: 'basic' | 'full';
  plan: string;
  from: string;
  to: string;
  callsPerDay: { date: string; total: number; answered: number; missed: number }[];
  durations: { count: number; avgSec: number; p50Sec: number; p90Sec: number };
  leads: { total: number; complete: number; won: number; conversion: number };
  emergencies: { total: number; acknowledged: number; perDay: { date: string; count: number }[] };
  intents: { intent: string; count: number }[] | null;
  latency: { turns: number; p50Ms: number; p95Ms: number; p99Ms: number } | null;
}

const PLAN_MESSAGE = 'Analytics need the BASIC or PRO plan.';

export function AnalyticsPage() {
  const { businessId, business } = useSession();
  const [days, setDays] = useState<RangeDays>(() => rangeFrom(location.search));
  // The plan table says FREE has none: no need to ask (the API would refuse the same way).
  const noPlan = business?.id === businessId && business.limits.analytics === 'none';
  const data = useAsync(
    () =>
      noPlan
        ? Promise.reject(new ApiFailure(403, 'plan_required', PLAN_MESSAGE))
        : api.get<Analytics>(query('/api/analytics', { businessId, days })),
    [businessId, days, noPlan],
  );
  const planRefused = data.error instanceof ApiFailure && data.error.code === 'plan_required';

  function pick(d: RangeDays) {
    setDays(d);
    navigate(`/admin/analytics?days=${d}`, { replace: true });
  }

  return (
    <Page
      title="Analytics"
      actions={
        planRefused ? null : (
          <div class="range-picker" role="group" aria-label="Period">
            {RANGES.map((d) => (
              <button key={d} type="button" aria-pressed={d === days} onClick={() => pick(d)}>
                Last {d} days
              </button>
            ))}
          </div>
        )
      }
    >
      {planRefused ? (
        <Notice kind="info">
          {data.error instanceof ApiFailure ? data.error.message : PLAN_MESSAGE} BASIC shows calls, durations,
          leads and emergencies; PRO adds the callers' intents and the agent's response times.
        </Notice>
      ) : data.error ? (
        <LoadError error={data.error} retry={() => void data.reload()} />
      ) : null}
      {!data.data && !data.error ? <Loading lines={8} label="Loading analytics…" /> : null}
      {data.data ? <Report a={data.data} /> : null}
    </Page>
  );
}

function Report({ a }: { a: Analytics }) {
  const intents = a.intents ? [...a.intents].sort((x, y) => y.count - x.count) : null;
  const calls = a.callsPerDay.reduce(
    (s, d) => ({ total: s.total + d.total, answered: s.answered + d.answered, missed: s.missed + d.missed }),
    { total: 0, answered: 0, missed: 0 },
  );
  const range = `${shortDate(a.from)} to ${shortDate(a.to)}`;
  const busiest = a.callsPerDay.reduce<{ date: string; total: number } | null>(
    (best, d) => (!best || d.total > best.total ? d : best),
    null,
  );
  const fullOnly = (what: string) => (
    <NoData>
      {what} are part of the PRO plan's full analytics (this business is on {a.plan}).
    </NoData>
  );

  return (
    <>
      <dl class="tiles" aria-label={`Totals, ${range}`}>
        <Tile label="Calls" value={String(calls.total)} />
        <Tile label="Answered" value={String(calls.answered)} />
        <Tile label="Missed" value={String(calls.missed)} />
        <Tile label="Average call" value={a.durations.count ? seconds(a.durations.avgSec) : '—'} />
        <Tile label="Leads" value={String(a.leads.total)} />
        <Tile label="Emergencies" value={String(a.emergencies.total)} />
      </dl>
      <div class="charts">
        <div class="wide">
          <Section title="Calls per day">
            {calls.total === 0 ? <NoData>No calls from {range}.</NoData> : null}
            <DailyBars
              title={`Calls per day, ${range}`}
              summary={`${calls.total} calls: ${calls.answered} answered, ${calls.missed} missed${
                busiest && busiest.total > 0
                  ? `; the busiest day was ${shortDate(busiest.date)} with ${busiest.total}`
                  : ''
              }.`}
              series={[
                { key: 'answered', label: 'Answered', className: 's-answered' },
                { key: 'missed', label: 'Missed', className: 's-missed' },
              ]}
              points={a.callsPerDay}
              table={{
                head: ['Date', 'Answered', 'Missed', 'Total'],
                rows: a.callsPerDay.map((d) => [shortDate(d.date), d.answered, d.missed, d.total]),
              }}
            />
          </Section>
        </div>
        <Section title="Call durations">
          {a.durations.count === 0 ? (
            <NoData>No answered calls with a duration yet.</NoData>
          ) : (
            <HBars
              title="Call durations"
              summary={`${a.durations.count} calls: average ${seconds(a.durations.avgSec)}, median ${seconds(
                a.durations.p50Sec,
              )}, 90th percentile ${seconds(a.durations.p90Sec)}.`}
              bars={[
                { label: 'Average', value: a.durations.avgSec, text: seconds(a.durations.avgSec) },
                { label: 'Median', value: a.durations.p50Sec, text: seconds(a.durations.p50Sec) },
                { label: '90% under', value: a.durations.p90Sec, text: seconds(a.durations.p90Sec) },
              ]}
              table={{
                head: ['Measure', 'Seconds'],
                rows: [
                  ['Calls', a.durations.count],
                  ['Average', Math.round(a.durations.avgSec)],
                  ['Median (p50)', Math.round(a.durations.p50Sec)],
                  ['90th percentile', Math.round(a.durations.p90Sec)],
                ],
              }}
            />
          )}
        </Section>
        <Section title="Lead conversion">
          <p class="chart-caption">{percent(a.leads.conversion)} of answered calls became a complete lead.</p>
          <HBars
            title="Lead conversion"
            summary={`${calls.answered} answered calls, ${a.leads.total} leads, ${a.leads.complete} complete, ${
              a.leads.won
            } won: ${percent(a.leads.conversion)} of answered calls became a complete lead.`}
            max={Math.max(1, calls.answered, a.leads.total)}
            bars={[
              {
                label: 'Answered calls',
                value: calls.answered,
                text: String(calls.answered),
                className: 's-neutral',
              },
              { label: 'Leads', value: a.leads.total, text: String(a.leads.total) },
              { label: 'Complete', value: a.leads.complete, text: String(a.leads.complete) },
              { label: 'Won', value: a.leads.won, text: String(a.leads.won), className: 's-answered' },
            ]}
            table={{
              head: ['Step', 'Count'],
              rows: [
                ['Answered calls', calls.answered],
                ['Leads', a.leads.total],
                ['Complete leads', a.leads.complete],
                ['Won', a.leads.won],
                ['Conversion', percent(a.leads.conversion)],
              ],
            }}
          />
        </Section>
        <Section title="Intents">
          {intents === null ? (
            fullOnly('Intents')
          ) : intents.length === 0 ? (
            <NoData>No intents recognised yet.</NoData>
          ) : (
            <HBars
              title="Intents: what callers wanted"
              summary={intents
                .slice(0, 5)
                .map((i) => `${humanize(i.intent)} ${i.count}`)
                .join(', ')}
              bars={intents
                .slice(0, 8)
                .map((i) => ({ label: humanize(i.intent), value: i.count, text: String(i.count) }))}
              table={{ head: ['Intent', 'Calls'], rows: intents.map((i) => [humanize(i.intent), i.count]) }}
            />
          )}
        </Section>
        <Section title="Latency">
          {a.latency === null ? (
            fullOnly('Response times')
          ) : a.latency.turns === 0 ? (
            <NoData>No agent turns measured yet.</NoData>
          ) : (
            <>
              <p class="chart-caption">
                From the caller's last word to the agent's first sound, over {a.latency.turns} turns.
              </p>
              <HBars
                title="Latency: agent response time"
                summary={`Over ${a.latency.turns} turns: half within ${millis(a.latency.p50Ms)}, 95% within ${millis(
                  a.latency.p95Ms,
                )}, 99% within ${millis(a.latency.p99Ms)}.`}
                bars={[
                  { label: 'p50', value: a.latency.p50Ms, text: millis(a.latency.p50Ms) },
                  { label: 'p95', value: a.latency.p95Ms, text: millis(a.latency.p95Ms) },
                  {
                    label: 'p99',
                    value: a.latency.p99Ms,
                    text: millis(a.latency.p99Ms),
                    className: 's-missed',
                  },
                ]}
                labelWidth={60}
                table={{
                  head: ['Percentile', 'Milliseconds'],
                  rows: [
                    ['p50', Math.round(a.latency.p50Ms)],
                    ['p95', Math.round(a.latency.p95Ms)],
                    ['p99', Math.round(a.latency.p99Ms)],
                  ],
                }}
              />
            </>
          )}
        </Section>
        <Section title="Emergencies">
          <p class="chart-caption">
            {a.emergencies.total === 0
              ? `No emergencies from ${range}.`
              : `${a.emergencies.total} emergenc${a.emergencies.total === 1 ? 'y' : 'ies'}, ${a.emergencies.acknowledged} acknowledged.`}
          </p>
          {a.emergencies.total > 0 ? (
            <DailyBars
              title={`Emergencies per day, ${range}`}
              summary={`${a.emergencies.total} emergencies, ${a.emergencies.acknowledged} acknowledged.`}
              series={[{ key: 'count', label: 'Emergencies', className: 's-emergency' }]}
              points={a.emergencies.perDay}
              height={140}
              table={{
                head: ['Date', 'Emergencies'],
                rows: a.emergencies.perDay
                  .filter((d) => d.count > 0)
                  .map((d) => [shortDate(d.date), d.count]),
              }}
            />
          ) : null}
        </Section>
      </div>
    </>
  );
}

function Tile({ label, value }: { label: string; value: string }) {
  return (
    <div class="tile">
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

/** What the agent filed in the call (src/admin/analytics-api.ts INTENTS), in the owner's words. */
const INTENT_NAMES: Record<string, string> = {
  lead: 'Left their details',
  booking: 'Booked',
  question: 'Asked a question',
  transfer: 'Asked for a person',
  emergency: 'Emergency',
};

/** "book_appointment" -> "Book appointment", unless it has a name above. */
function humanize(intent: string): string {
  if (INTENT_NAMES[intent]) return INTENT_NAMES[intent];
  const s = intent.replace(/[_-]+/g, ' ').trim();
  return s ? s[0]!.toUpperCase() + s.slice(1) : intent;
}
