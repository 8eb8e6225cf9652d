import { cloneElement, isValidElement, type ComponentChildren, type JSX, type VNode } from 'preact';
import { useCallback, useEffect, useId, useRef, useState } from 'preact/hooks';
import { messageOf } from './api';

export { Link, navigate } from './navigation';

/**
 * The dashboard's building blocks, shared by every page so they look and behave alike:
 * a page frame, notices, labelled fields, buttons, tables, empty and loading states, the date and
 * duration formats, and the data hooks.
 */

/** A page: the <main> landmark with its one <h1>; focus moves here when the page changes. */
export function Page({
  title,
  actions,
  children,
}: {
  title: string;
  actions?: ComponentChildren;
  children?: ComponentChildren;
}) {
  useEffect(() => {
    document.title = `${title} · Switchboard`;
  }, [title]);
  return (
    <main id="main" tabIndex={-1} class="page">
      <div class="page-head">
        <h1>{title}</h1>
        {actions ? <div class="page-actions">{actions}</div> : null}
      </div>
      {children}
    </main>
  );
}

/** A titled part of a page (h2). */
export function Section({
  title,
  actions,
  children,
  id,
}: {
  title: string;
  actions?: ComponentChildren;
  children?: ComponentChildren;
  id?: string;
}) {
  const generated = useId();
  const headingId = id ?? `s${generated}`;
  return (
    <section class="card" aria-labelledby={headingId}>
      <div class="card-head">
        <h2 id={headingId}>{title}</h2>
        {actions ? <div class="card-actions">{actions}</div> : null}
      </div>
      {children}
    </section>
  );
}

/** An error is an alert (read at once); ok and info are a polite status. */
export function Notice({ kind, children }: { kind: 'error' | 'ok' | 'info'; children?: ComponentChildren }) {
  return (
    <div class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

/**
 * A labelled control: the label points at the control (its id is given or made), the hint and
 * the error describe it, and an error marks it invalid.
 */
export function Field({
  label,
  hint,
  error,
  children,
}: {
  label: ComponentChildren;
  hint?: ComponentChildren;
  error?: string | null;
  children: ComponentChildren;
}) {
  const uid = useId();
  const child = isValidElement(children) ? (children as VNode<Record<string, unknown>>) : null;
  const id = (child?.props['id'] as string | undefined) ?? `f${uid}`;
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  const control = child
    ? cloneElement(child, { id, 'aria-describedby': describedBy, 'aria-invalid': error ? true : undefined })
    : children;
  return (
    <div class={`field${error ? ' field-invalid' : ''}`}>
      <label for={id}>{label}</label>
      {control}
      {hint ? (
        <p class="field-hint" id={hintId}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p class="field-error" id={errorId}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

type ButtonProps = JSX.HTMLAttributes<HTMLButtonElement> & {
  variant?: 'primary' | 'secondary' | 'danger' | 'ghost';
  /** Shows "…" and disables the button while an action runs. */
  busy?: boolean;
  type?: 'button' | 'submit' | 'reset';
  disabled?: boolean;
};

export function Button({
  variant = 'secondary',
  busy,
  type = 'button',
  disabled,
  children,
  ...rest
}: ButtonProps) {
  return (
    <button
      {...rest}
      type={type}
      class={`btn btn-${variant}${rest.class ? ` ${String(rest.class)}` : ''}`}
      disabled={disabled || busy}
      aria-busy={busy ? true : undefined}
    >
      {children}
      {busy ? <span aria-hidden="true">…</span> : null}
    </button>
  );
}

/** "Show more" under a paged list, while the API gives a next cursor. */
export function ShowMore({ more, busy, onMore }: { more: boolean; busy: boolean; onMore: () => void }) {
  if (!more) return null;
  return (
    <div class="pager">
      <Button busy={busy} onClick={onMore}>
        Show more
      </Button>
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="empty">
      <p class="empty-title">{title}</p>
      {children ? <div class="empty-body">{children}</div> : null}
    </div>
  );
}

/** Grey placeholder lines of the content's size while it loads (no jump when it arrives). */
export function Loading({ lines = 3, label = 'Loading…' }: { lines?: number; label?: string }) {
  return (
    <div class="loading" role="status">
      <span class="visually-hidden">{label}</span>
      {Array.from({ length: lines }, (_, i) => (
        <div key={i} class="skeleton" aria-hidden="true" />
      ))}
    </div>
  );
}

/** A data table that scrolls sideways on a phone instead of squeezing. */
export function Table({
  caption,
  head,
  children,
}: {
  caption?: string;
  head: ComponentChildren[];
  children: ComponentChildren;
}) {
  return (
    <div class="table-wrap">
      <table>
        {caption ? <caption class="visually-hidden">{caption}</caption> : null}
        <thead>
          <tr>
            {head.map((h, i) => (
              <th key={i} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** A status word as a small coloured badge. */
export function Badge({
  tone = 'neutral',
  children,
}: {
  tone?: 'neutral' | 'ok' | 'warn' | 'danger' | 'info';
  children: ComponentChildren;
}) {
  return <span class={`badge badge-${tone}`}>{children}</span>;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/** "Dec 6, 2026, 9:14 PM" in the viewer's locale; "—" for nothing. */
export function formatDate(value: string | number | Date | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '—' : dateTime.format(d);
}

export function formatTime(value: string | number | Date | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '—' : timeOnly.format(d);
}

/** 75 -> "1:15", 3725 -> "1:02:05"; "—" for nothing. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

export interface Async<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Loads again (keeps showing the old data meanwhile). */
  reload(): Promise<void>;
  /** Replaces the data in place (after a change the server confirmed). */
  setData(next: T | ((old: T | undefined) => T)): void;
}

/** Loads `load()` when `deps` change; the last answer wins (a slow older one is dropped). */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): Async<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    setLoading(true);
    try {
      const value = await loadRef.current();
      if (mine !== generation.current) return;
      setData(() => value);
      setError(null);
    } catch (err) {
      if (mine !== generation.current) return;
      setError(err);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, []);

  useEffect(() => {
    setData(undefined);
    void reload();
    return () => void generation.current++;
  }, deps);

  return {
    data,
    error,
    loading,
    reload,
    setData: (next) =>
      setData((old) => (typeof next === 'function' ? (next as (o: T | undefined) => T)(old) : next)),
  };
}

/** useAsync, loaded again every `intervalMs` while the tab is visible. */
export function usePoll<T>(load: () => Promise<T>, intervalMs: number, deps: unknown[]): Async<T> {
  const state = useAsync(load, deps);
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void state.reload();
    }, intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs, ...deps]);
  return state;
}

/** The error of a failed load, as an alert with a "Try again" button. */
export function LoadError({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <Notice kind="error">
      {messageOf(error)}{' '}
      {retry ? (
        <button type="button" class="link-button" onClick={retry}>
          Try again
        </button>
      ) : null}
    </Notice>
  );
}
