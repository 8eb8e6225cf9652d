/**
 * The arithmetic of the analytics charts (hand-drawn SVG): round axis maxima and ticks, bar bands,
 * which dates get a label, and the numbers' wording. Pure, so it is tested without a browser.
 */

/** A round axis maximum at or above `max` (1, 2, 2.5, 5 or 10 times a power of ten) and its ticks. */
export function niceScale(max: number, tickCount = 4): { max: number; ticks: number[] } {
  if (!Number.isFinite(max) || max <= 0) return { max: 1, ticks: [0, 1] };
  const rough = max / tickCount;
  const power = 10 ** Math.floor(Math.log10(rough));
  // Counts are whole: no 2.5 steps, and none below 1 (0.5 calls).
  const counts = Number.isInteger(max);
  const steps = counts ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10];
  const step = steps.map((m) => m * power).find((s) => s * tickCount >= max) ?? 10 * power;
  const whole = counts ? Math.max(1, Math.ceil(step)) : step;
  const top = Math.ceil(max / whole) * whole;
  const ticks: number[] = [];
  for (let t = 0; t <= top + whole / 2; t += whole) ticks.push(round(t));
  return { max: round(top), ticks };
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

/** Position of `value` on an axis from 0 to `max` drawn over `length` pixels. */
export function scale(value: number, max: number, length: number): number {
  if (max <= 0) return 0;
  return (Math.max(0, Math.min(value, max)) / max) * length;
}

/** n equal bands over `width`: each bar's x and width, with a gap between bars (never below 1 px). */
export function bands(
  n: number,
  width: number,
  gapRatio = 0.25,
): { x: (i: number) => number; width: number } {
  if (n <= 0) return { x: () => 0, width: 0 };
  const band = width / n;
  const bar = Math.max(1, band * (1 - gapRatio));
  return { x: (i) => i * band + (band - bar) / 2, width: bar };
}

/** Which of n evenly spaced points get a label, so labels about `labelWidth` apart never overlap. */
export function labelEvery(n: number, width: number, labelWidth = 44): number {
  if (n <= 1) return 1;
  const fit = Math.max(1, Math.floor(width / labelWidth));
  return Math.max(1, Math.ceil(n / fit));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "2026-12-01" -> "Dec 1" (the date as the API counted it, no time zone applied). */
export function shortDate(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  if (!m) return iso;
  return `${MONTHS[Number(m[2]) - 1] ?? m[2]} ${Number(m[3])}`;
}

/** 0.4567 -> "46%"; values under 10% keep one decimal so small rates are not all "0%". */
export function percent(ratio: number): string {
  if (!Number.isFinite(ratio)) return '0%';
  const p = ratio * 100;
  return p > 0 && p < 10 ? `${p.toFixed(1)}%` : `${Math.round(p)}%`;
}

/** Seconds as "45 s", "3 min 20 s", "1 h 5 min". */
export function seconds(total: number): string {
  const s = Math.round(total);
  if (s < 60) return `${s} s`;
  if (s < 3600) return s % 60 === 0 ? `${s / 60} min` : `${Math.floor(s / 60)} min ${s % 60} s`;
  const m = Math.round(s / 60);
  return m % 60 === 0 ? `${m / 60} h` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Milliseconds as "850 ms" or "1.2 s". */
export function millis(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export const RANGES = [7, 30, 90] as const;
export type RangeDays = (typeof RANGES)[number];

/** The range from a URL's ?days=, defaulting to 30. */
export function rangeFrom(search: string): RangeDays {
  const n = Number(new URLSearchParams(search).get('days'));
  return (RANGES as readonly number[]).includes(n) ? (n as RangeDays) : 30;
}
