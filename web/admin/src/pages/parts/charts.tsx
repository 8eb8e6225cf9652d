import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { bands, labelEvery, niceScale, scale, shortDate } from './chart-scale';

/**
 * Hand-drawn SVG charts for the analytics page. Each is an image with a title and a one-line
 * description for screen readers, drawn at the width it is shown at (so text stays 11 px on a
 * phone), with its numbers in a table under "Show the data".
 */

/** The element's width, following resizes. */
function useWidth<T extends HTMLElement>(fallback: number): [{ current: T | null }, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth || fallback);
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.max(200, Math.round(entry.contentRect.width)));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width];
}

export interface Series {
  key: string;
  label: string;
  /** CSS class that fills the bars (settings.css .s-*). */
  className: string;
}

export interface DataTable {
  head: string[];
  rows: (string | number)[][];
}

function DataDetails({ table, title }: { table: DataTable; title: string }) {
  return (
    <details class="more">
      <summary>Show the data</summary>
      <div class="table-wrap">
        <table>
          <caption class="visually-hidden">{title}</caption>
          <thead>
            <tr>
              {table.head.map((h) => (
                <th scope="col" key={h}>
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {table.rows.map((r, i) => (
              <tr key={i}>
                {r.map((c, j) =>
                  j === 0 ? (
                    <th scope="row" key={j}>
                      {c}
                    </th>
                  ) : (
                    <td class="num" key={j}>
                      {c}
                    </td>
                  ),
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

function Legend({ series }: { series: Series[] }) {
  if (series.length < 2) return null;
  return (
    <p class="chart-caption" aria-hidden="true">
      {series.map((s) => (
        <span key={s.key} style={{ marginRight: '14px' }}>
          <span class={`swatch ${s.className}`} />
          {s.label}
        </span>
      ))}
    </p>
  );
}

/**
 * Bars per date, the series stacked (e.g. answered under missed). `points` are
 * {date:'YYYY-MM-DD', [series.key]: number}.
 */
export function DailyBars({
  title,
  summary,
  series,
  points,
  table,
  height = 200,
}: {
  title: string;
  summary: string;
  series: Series[];
  points: ({ date: string } & Record<string, number | string>)[];
  table: DataTable;
  height?: number;
}) {
  const [ref, width] = useWidth<HTMLDivElement>(600);
  const uid = useId();
  const pad = { top: 8, right: 8, bottom: 22, left: 34 };
  const w = Math.max(100, width - pad.left - pad.right);
  const h = height - pad.top - pad.bottom;
  const total = (p: (typeof points)[number]) => series.reduce((s, x) => s + Number(p[x.key] ?? 0), 0);
  const { max, ticks } = niceScale(Math.max(0, ...points.map(total)));
  const b = bands(points.length, w, points.length > 40 ? 0.15 : 0.3);
  const every = labelEvery(points.length, w);
  return (
    <figure class="chart">
      <div ref={ref}>
        <svg
          width={width}
          height={height}
          viewBox={`0 0 ${width} ${height}`}
          role="img"
          aria-labelledby={`${uid}t`}
          aria-describedby={`${uid}d`}
        >
          <title id={`${uid}t`}>{title}</title>
          <desc id={`${uid}d`}>{summary}</desc>
          <g transform={`translate(${pad.left},${pad.top})`}>
            <g class="grid axis">
              {ticks.map((t) => {
                const y = h - scale(t, max, h);
                return (
                  <g key={t}>
                    <line x1={0} x2={w} y1={y} y2={y} />
                    <text x={-6} y={y} dy="0.32em" text-anchor="end">
                      {t}
                    </text>
                  </g>
                );
              })}
            </g>
            {points.map((p, i) => {
              let base = h;
              return (
                <g key={p.date}>
                  {series.map((s) => {
                    const v = Number(p[s.key] ?? 0);
                    const bh = scale(v, max, h);
                    base -= bh;
                    return v > 0 ? (
                      <rect
                        key={s.key}
                        class={s.className}
                        x={b.x(i)}
                        y={base}
                        width={b.width}
                        height={bh}
                        rx={1.5}
                      >
                        <title>{`${shortDate(p.date)}: ${v} ${s.label.toLowerCase()}`}</title>
                      </rect>
                    ) : null;
                  })}
                </g>
              );
            })}
            <line class="baseline" x1={0} x2={w} y1={h} y2={h} />
            <g class="axis">
              {points.map((p, i) =>
                i % every === 0 ? (
                  <text key={p.date} x={b.x(i) + b.width / 2} y={h + 15} text-anchor="middle">
                    {shortDate(p.date)}
                  </text>
                ) : null,
              )}
            </g>
          </g>
        </svg>
      </div>
      <Legend series={series} />
      <DataDetails table={table} title={title} />
    </figure>
  );
}

export interface HBar {
  label: string;
  value: number;
  /** The value as shown (e.g. "1.2 s"). */
  text: string;
  className?: string;
}

/** Horizontal bars with their labels on the left and values at their ends. */
export function HBars({
  title,
  summary,
  bars,
  table,
  labelWidth = 120,
  max: fixedMax,
}: {
  title: string;
  summary: string;
  bars: HBar[];
  table: DataTable;
  labelWidth?: number;
  max?: number;
}) {
  const [ref, width] = useWidth<HTMLDivElement>(440);
  const uid = useId();
  const row = 30;
  const height = bars.length * row + 4;
  const label = Math.min(labelWidth, Math.round(width * 0.4));
  const valueRoom = 78;
  const w = Math.max(40, width - label - valueRoom);
  const max = fixedMax ?? niceScale(Math.max(0, ...bars.map((x) => x.value))).max;
  return (
    <figure class="chart">
      <div ref={ref}>
        <svg
          width={width}
          height={height}
          viewBox={`0 0 ${width} ${height}`}
          role="img"
          aria-labelledby={`${uid}t`}
          aria-describedby={`${uid}d`}
        >
          <title id={`${uid}t`}>{title}</title>
          <desc id={`${uid}d`}>{summary}</desc>
          {bars.map((x, i) => {
            const y = i * row + 4;
            const bw = Math.max(x.value > 0 ? 2 : 0, scale(x.value, max, w));
            return (
              <g key={x.label}>
                <text class="label" x={label - 8} y={y + 11} dy="0.32em" text-anchor="end">
                  {truncate(x.label, Math.floor(label / 6.5))}
                </text>
                <rect class="s-soft" x={label} y={y + 3} width={w} height={16} rx={3} opacity={0.35} />
                <rect class={x.className ?? 's-bar'} x={label} y={y + 3} width={bw} height={16} rx={3} />
                <text class="value" x={label + w + 8} y={y + 11} dy="0.32em">
                  {x.text}
                </text>
              </g>
            );
          })}
        </svg>
      </div>
      <DataDetails table={table} title={title} />
    </figure>
  );
}

const truncate = (s: string, n: number) => (s.length > n ? `${s.slice(0, Math.max(1, n - 1))}…` : s);

/** A chart's frame when there is nothing to draw, with the reason. */
export function NoData({ children }: { children: ComponentChildren }) {
  return <p class="muted no-data">{children}</p>;
}
