/**
 * The evaluation's figures from the simulated calls: per split (tune / heldout) x voice x
 * condition, per split x condition, and overall. Emergency recall and false alarms, the longest
 * run of one question, knowledge answers right and invented, lead name/number/need captured,
 * bookings at the right time, word error on the callers' opening sentences, and decode and reply
 * latency. Printed as tables; written as JSON.
 */
import { wordErrorRate } from '../../test/providers/stt/support/wer.js';
import type { CallResult } from './simulate-call.js';

export interface Ratio {
  readonly n: number;
  readonly of: number;
}

export interface Figures {
  readonly calls: number;
  readonly errors: number;
  readonly emergencyRecall: Ratio;
  readonly falseAlarms: Ratio;
  /** Largest number of times one question was asked in a row, over the group's calls. */
  readonly maxSameQuestion: number;
  /** Calls where a question was asked more than twice in a row. */
  readonly repeatedOverTwice: Ratio;
  readonly answersCorrect: Ratio;
  readonly answersInvented: Ratio;
  readonly leadName: Ratio;
  readonly leadPhone: Ratio;
  readonly leadNeed: Ratio;
  /** Leads with name, number and need all right. */
  readonly leadAll: Ratio;
  readonly bookingRightTime: Ratio;
  readonly openingWer: number;
  /** Calls whose latencies are reported (paced ones when the run had any). */
  readonly latencyCalls: number;
  readonly decodeP50: number;
  readonly decodeP95: number;
  readonly replyP50: number;
  readonly replyP95: number;
}

const ratio = (xs: readonly boolean[]): Ratio => ({ n: xs.filter(Boolean).length, of: xs.length });

function pct(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function figures(results: readonly CallResult[]): Figures {
  const em = results.filter((r) => r.emergencyExpected);
  const nonEm = results.filter((r) => !r.emergencyExpected);
  const qs = results.filter((r) => r.question);
  const leads = results.filter((r) => r.lead);
  const books = results.filter((r) => r.booking);
  // Latency from the calls fed at a pace the decoder keeps up with (as on a call), when there are any:
  // unpaced calls queue a whole turn's audio before the decoder and measure the backlog instead.
  const paced = results.some((r) => r.paced) ? results.filter((r) => r.paced) : results;
  const decode = paced.flatMap((r) => r.decodeMs).sort((a, b) => a - b);
  const reply = paced.flatMap((r) => r.replyMs).sort((a, b) => a - b);
  return {
    calls: results.length,
    errors: results.filter((r) => r.error).length,
    emergencyRecall: ratio(em.map((r) => r.emergencyRaised)),
    falseAlarms: ratio(nonEm.map((r) => r.emergencyRaised)),
    maxSameQuestion: Math.max(0, ...results.map((r) => r.maxSameQuestion)),
    repeatedOverTwice: ratio(results.map((r) => r.maxSameQuestion > 2)),
    answersCorrect: ratio(qs.map((r) => r.question!.correct)),
    answersInvented: ratio(qs.map((r) => r.question!.invented)),
    leadName: ratio(leads.map((r) => r.lead!.name)),
    leadPhone: ratio(leads.map((r) => r.lead!.phone)),
    leadNeed: ratio(leads.map((r) => r.lead!.need)),
    leadAll: ratio(leads.map((r) => r.lead!.name && r.lead!.phone && r.lead!.need)),
    bookingRightTime: ratio(books.map((r) => r.booking!.rightTime)),
    openingWer: wordErrorRate(
      results
        .filter((r) => r.opening.hypothesis !== undefined)
        .map((r) => ({ reference: r.opening.reference, hypothesis: r.opening.hypothesis })),
    ),
    latencyCalls: paced.length,
    decodeP50: pct(decode, 50),
    decodeP95: pct(decode, 95),
    replyP50: pct(reply, 50),
    replyP95: pct(reply, 95),
  };
}

export interface Report {
  readonly label: string;
  readonly createdAt: string;
  readonly commit: string;
  readonly settings: Record<string, unknown>;
  /** split -> figures over all its calls. */
  readonly bySplit: Record<string, Figures>;
  /** `split|condition` -> figures. */
  readonly bySplitCondition: Record<string, Figures>;
  /** `split|voice|condition` -> figures. */
  readonly bySplitVoiceCondition: Record<string, Figures>;
  readonly overall: Figures;
}

function groupBy(results: readonly CallResult[], key: (r: CallResult) => string): Record<string, Figures> {
  const groups = new Map<string, CallResult[]>();
  for (const r of results) {
    const k = key(r);
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return Object.fromEntries(
    [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([k, rs]) => [k, figures(rs)]),
  );
}

export function buildReport(
  label: string,
  commit: string,
  settings: Record<string, unknown>,
  results: readonly CallResult[],
): Report {
  return {
    label,
    createdAt: new Date().toISOString(),
    commit,
    settings,
    bySplit: groupBy(results, (r) => r.split),
    bySplitCondition: groupBy(results, (r) => `${r.split}|${r.condition}`),
    bySplitVoiceCondition: groupBy(results, (r) => `${r.split}|${r.voice}|${r.condition}`),
    overall: figures(results),
  };
}

const cell = (r: Ratio): string => (r.of === 0 ? '-' : `${Math.round((100 * r.n) / r.of)}% ${r.n}/${r.of}`);
const ms = (x: number): string => (Number.isNaN(x) ? '-' : String(Math.round(x)));

const COLUMNS: Array<[string, (f: Figures) => string]> = [
  ['calls', (f) => String(f.calls)],
  ['emerg recall', (f) => cell(f.emergencyRecall)],
  ['false alarm', (f) => cell(f.falseAlarms)],
  ['max same Q', (f) => String(f.maxSameQuestion)],
  ['KB right', (f) => cell(f.answersCorrect)],
  ['KB invented', (f) => cell(f.answersInvented)],
  ['lead name', (f) => cell(f.leadName)],
  ['lead number', (f) => cell(f.leadPhone)],
  ['lead need', (f) => cell(f.leadNeed)],
  ['booking time', (f) => cell(f.bookingRightTime)],
  ['open WER', (f) => `${(100 * f.openingWer).toFixed(0)}%`],
  ['decode p50/p95', (f) => `${ms(f.decodeP50)}/${ms(f.decodeP95)}`],
  ['reply p50/p95', (f) => `${ms(f.replyP50)}/${ms(f.replyP95)}`],
  ['errors', (f) => String(f.errors)],
];

export function table(rows: ReadonlyArray<[string, Figures]>): string {
  const header = ['', ...COLUMNS.map(([h]) => h)];
  const body = rows.map(([name, f]) => [name, ...COLUMNS.map(([, get]) => get(f))]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const fmt = (r: readonly string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [fmt(header), ...body.map(fmt)].join('\n');
}

export function printReport(report: Report): string {
  const out: string[] = [`offline evaluation "${report.label}" at ${report.commit} (${report.createdAt})`];
  for (const split of Object.keys(report.bySplit)) {
    out.push('', `== ${split}: per voice and condition`);
    out.push(
      table(
        Object.entries(report.bySplitVoiceCondition)
          .filter(([k]) => k.startsWith(`${split}|`))
          .map(([k, f]) => [k.slice(split.length + 1), f]),
      ),
    );
    out.push('', `== ${split}: per condition`);
    out.push(
      table(
        Object.entries(report.bySplitCondition)
          .filter(([k]) => k.startsWith(`${split}|`))
          .map(([k, f]) => [k.slice(split.length + 1), f]),
      ),
    );
  }
  out.push('', '== per split and overall');
  out.push(table([...Object.entries(report.bySplit), ['overall', report.overall]]));
  return out.join('\n');
}

/** This run's figures beside an earlier run's (e.g. `before`), per split x condition and per split. */
export function printComparison(before: Report, after: Report): string {
  const out: string[] = [`"${before.label}" (${before.commit}) against "${after.label}" (${after.commit})`];
  const pairs = (a: Record<string, Figures>, b: Record<string, Figures>): Array<[string, Figures]> =>
    Object.keys(b).flatMap((k): Array<[string, Figures]> => [
      ...(a[k] ? ([[`${k} ${before.label}`, a[k]]] as Array<[string, Figures]>) : []),
      [`${k} ${after.label}`, b[k]!],
    ]);
  out.push('', '== per split and condition', table(pairs(before.bySplitCondition, after.bySplitCondition)));
  out.push('', '== per split', table(pairs(before.bySplit, after.bySplit)));
  return out.join('\n');
}
