import { useEffect, useRef, useState } from 'preact/hooks';
import { api, query } from '../api';
import { addLine } from '../live-transcript';
import { useSession } from '../session';
import { NodeHealth } from './parts/node-health';
import type {
  Call,
  LiveAlert,
  LiveCall,
  LiveCallChange,
  LiveLine,
  LiveSnapshot,
  LiveTranscript,
} from '../types';
import { Badge, EmptyState, Link, Loading, Notice, Page, formatTime } from '../ui';

/**
 * Live calls: GET /api/live (server-sent events) keeps a list of the business's calls in
 * progress with their words as they are spoken. The browser's EventSource reconnects by itself;
 * each reconnection starts with a fresh snapshot, so nothing is lost or doubled.
 */

interface Shown extends LiveCall {
  endedAt?: number;
  reason?: string;
}

type Connection = 'connecting' | 'open' | 'retrying' | 'refused';

/** An ended call stays on screen this long (with a link to its page), then leaves. */
const ENDED_VISIBLE_MS = 60_000;
const MAX_ALERTS = 5;

export function LivePage() {
  const { businessId, business } = useSession();
  const [calls, setCalls] = useState<Shown[] | null>(null);
  const [alerts, setAlerts] = useState<(LiveAlert & { key: number; from: string | null })[]>([]);
  const [connection, setConnection] = useState<Connection>('connecting');
  const [attempt, setAttempt] = useState(0);
  const callsRef = useRef<Shown[]>([]);
  callsRef.current = calls ?? [];

  useEffect(() => {
    const source = new EventSource(query('/api/live', { businessId }), { withCredentials: true });
    let alertKey = 0;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const update = (f: (c: Shown[]) => Shown[]) => setCalls((old) => f(old ?? []));
    const parse = <T,>(e: Event): T | null => {
      try {
        return JSON.parse((e as MessageEvent<string>).data) as T;
      } catch {
        return null;
      }
    };
    const fillFrom = (callSid: string) => {
      // A call's start event does not say who is calling: its record does.
      api
        .get<{ call: Call }>(`/api/calls/${encodeURIComponent(callSid)}`)
        .then(({ call }) =>
          update((cs) => cs.map((c) => (c.callSid === callSid ? { ...c, from: call.fromNumber } : c))),
        )
        .catch(() => undefined);
    };

    source.addEventListener('open', () => setConnection('open'));
    source.addEventListener('snapshot', (e) => {
      const snap = parse<LiveSnapshot>(e);
      if (!snap) return;
      setConnection('open');
      // Calls that ended while we were away are gone from the snapshot; recently ended ones stay.
      update((old) => [
        ...snap.calls.map((c) => ({ ...c, transcript: c.transcript.reduce(addLine, [] as LiveLine[]) })),
        ...old.filter((o) => o.endedAt && !snap.calls.some((c) => c.callSid === o.callSid)),
      ]);
    });
    source.addEventListener('call', (e) => {
      const change = parse<LiveCallChange>(e);
      if (!change) return;
      if (change.kind === 'started') {
        update((cs) =>
          cs.some((c) => c.callSid === change.callSid)
            ? cs
            : [
                ...cs,
                {
                  callSid: change.callSid,
                  from: change.from ?? null,
                  startedAt: change.startedAt ?? new Date().toISOString(),
                  transcript: [],
                },
              ],
        );
        if (!change.from) fillFrom(change.callSid);
      } else {
        update((cs) =>
          cs.map((c) =>
            c.callSid === change.callSid
              ? { ...c, endedAt: Date.now(), ...(change.reason ? { reason: change.reason } : {}) }
              : c,
          ),
        );
      }
    });
    source.addEventListener('transcript', (e) => {
      const t = parse<LiveTranscript>(e);
      if (!t) return;
      const line: LiveLine = { speaker: t.speaker, text: t.text, final: t.final, atMs: t.atMs };
      update((cs) => {
        if (!cs.some((c) => c.callSid === t.callSid)) {
          // Words of a call we have not seen start (joined mid-call): show it anyway.
          fillFrom(t.callSid);
          return [
            ...cs,
            { callSid: t.callSid, from: null, startedAt: new Date().toISOString(), transcript: [line] },
          ];
        }
        return cs.map((c) =>
          c.callSid === t.callSid ? { ...c, transcript: addLine(c.transcript, line) } : c,
        );
      });
    });
    source.addEventListener('alert', (e) => {
      const a = parse<LiveAlert>(e);
      if (!a) return;
      const from = callsRef.current.find((c) => c.callSid === a.callSid)?.from ?? null;
      setAlerts((old) => [{ ...a, from, key: ++alertKey }, ...old].slice(0, MAX_ALERTS));
    });
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CLOSED) {
        // The server answered but not with a feed (signed out, not allowed, or no such route):
        // api.get turns a 401 into the sign-in page; otherwise try again shortly.
        setConnection('refused');
        void api.get('/api/auth/me').catch(() => undefined);
        retry = setTimeout(() => setAttempt((n) => n + 1), 5_000);
      } else setConnection('retrying');
    });
    return () => {
      clearTimeout(retry);
      source.close();
    };
  }, [businessId, attempt]);

  // Ended calls leave after a while.
  useEffect(() => {
    const timer = setInterval(() => {
      const now = Date.now();
      setCalls((cs) =>
        cs && cs.some((c) => c.endedAt && now - c.endedAt > ENDED_VISIBLE_MS)
          ? cs.filter((c) => !c.endedAt || now - c.endedAt <= ENDED_VISIBLE_MS)
          : cs,
      );
    }, 5_000);
    return () => clearInterval(timer);
  }, []);

  const active = (calls ?? []).filter((c) => !c.endedAt);
  const ended = (calls ?? []).filter((c) => c.endedAt);

  return (
    <Page title="Live calls" actions={<ConnectionState state={connection} />}>
      {business?.limits.monitoring ? <NodeHealth businessId={businessId} /> : null}
      {connection === 'refused' ? (
        <Notice kind="error">Live updates are not reaching this page. Trying again…</Notice>
      ) : null}
      <ul class="alerts" aria-live="polite" aria-label="Alerts">
        {alerts.map((a) => (
          <li key={a.key}>
            <div class={`notice ${a.kind === 'emergency' ? 'notice-error' : 'notice-info'}`}>
              <strong>{ALERT_NAMES[a.kind]}</strong>
              {a.from ? ` · ${a.from}` : ''}: {a.summary}{' '}
              {a.kind === 'emergency' ? <Link href="/admin/emergencies">Open emergencies</Link> : null}
            </div>
          </li>
        ))}
      </ul>
      {calls === null ? (
        <Loading lines={4} label="Loading live calls…" />
      ) : (
        <>
          {active.length === 0 ? (
            <EmptyState title="No calls right now">New calls appear here as soon as they ring.</EmptyState>
          ) : null}
          {active.length ? (
            <div class="live-grid">
              {active.map((c) => (
                <LiveCallCard key={c.callSid} call={c} />
              ))}
            </div>
          ) : null}
          {ended.length ? (
            <>
              <h2 class="subhead">Just ended</h2>
              <div class="live-grid">
                {ended.map((c) => (
                  <LiveCallCard key={c.callSid} call={c} />
                ))}
              </div>
            </>
          ) : null}
        </>
      )}
    </Page>
  );
}

const ALERT_NAMES: Record<LiveAlert['kind'], string> = {
  emergency: 'Emergency',
  lead: 'New lead',
  booking: 'Booking',
  transfer: 'Transfer',
};

function ConnectionState({ state }: { state: Connection }) {
  const text = { connecting: 'Connecting…', open: 'Live', retrying: 'Reconnecting…', refused: 'Offline' }[
    state
  ];
  return (
    <span class="conn" role="status">
      {state === 'open' ? <span class="live-dot" aria-hidden="true" /> : null}
      {text}
    </span>
  );
}

function LiveCallCard({ call }: { call: Shown }) {
  const body = useRef<HTMLDivElement>(null);
  const number = call.from ?? 'unknown number';
  const count = call.transcript.length;
  const last = call.transcript[count - 1]?.text;

  // Follow the conversation unless the reader scrolled up to read something.
  useEffect(() => {
    const el = body.current;
    if (!el) return;
    if (el.scrollHeight - el.scrollTop - el.clientHeight < 80) el.scrollTop = el.scrollHeight;
  }, [count, last]);

  return (
    <article class="live-call" aria-label={`Call from ${number}`}>
      <div class="live-call-head">
        {call.endedAt ? null : <span class="live-dot" aria-hidden="true" />}
        <h2>{number}</h2>
        <span class="muted">since {formatTime(call.startedAt)}</span>
        <span class="push-right">
          {call.endedAt ? (
            <Badge>Ended</Badge>
          ) : (
            <Badge tone="ok">{call.answeredBy === 'human' ? 'Staff + assist' : 'AI receptionist'}</Badge>
          )}
        </span>
      </div>
      <div class="live-call-body" ref={body}>
        <ol
          class="transcript"
          aria-live="polite"
          aria-relevant="additions text"
          aria-label={`Transcript of the call from ${number}`}
        >
          {call.transcript.map((l) => (
            <li
              key={`${l.speaker}:${l.atMs}`}
              class={`line line-${l.speaker}${l.final ? '' : ' line-interim'}`}
            >
              <span class="line-who">{l.speaker === 'caller' ? 'Caller' : 'Agent'}</span>
              <span class="line-text">{l.text}</span>
            </li>
          ))}
        </ol>
        {count === 0 ? <p class="muted">Waiting for the first words…</p> : null}
      </div>
      {call.endedAt ? (
        <div class="live-call-foot">
          <Link href={`/admin/calls/${encodeURIComponent(call.callSid)}`}>Open the call</Link>
        </div>
      ) : null}
    </article>
  );
}
