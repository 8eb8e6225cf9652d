import { useState } from 'preact/hooks';
import { api, messageOf, query } from '../api';
import { useSession } from '../session';
import type { Delivery, Emergency, Paged } from '../types';
import {
  Badge,
  Button,
  EmptyState,
  Link,
  LoadError,
  Loading,
  Notice,
  Page,
  formatDate,
  usePoll,
} from '../ui';

/**
 * Emergencies, newest first: each with what the caller said, who was told and whether the
 * message arrived, and an "Acknowledge" button that records who took it on.
 * Refreshed every 20 s: a new emergency or a delivery's progress shows without reloading.
 */
export function EmergenciesPage() {
  const { businessId } = useSession();
  const list = usePoll(
    () => api.get<Paged<Emergency>>(query('/api/emergencies', { businessId, limit: 50 })),
    20_000,
    [businessId],
  );

  const replace = (e: Emergency) =>
    list.setData((old) => ({
      items: (old?.items ?? []).map((x) => (x.id === e.id ? { ...x, ...e } : x)),
      nextCursor: old?.nextCursor ?? null,
    }));

  return (
    <Page title="Emergencies">
      {list.error && !list.data ? <LoadError error={list.error} retry={() => void list.reload()} /> : null}
      {!list.data && !list.error ? <Loading lines={5} label="Loading emergencies…" /> : null}
      {list.data && list.data.items.length === 0 ? (
        <EmptyState title="No emergencies">
          When a caller reports an emergency, it shows here with every notification sent about it.
        </EmptyState>
      ) : null}
      {list.data?.items.map((e) => (
        <EmergencyCard key={e.id} emergency={e} onChange={replace} />
      ))}
    </Page>
  );
}

function EmergencyCard({
  emergency: e,
  onChange,
}: {
  emergency: Emergency;
  onChange: (e: Emergency) => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const acked = Boolean(e.acknowledgedAt) || e.status !== 'open';
  const headingId = `em-${e.id}`;

  async function acknowledge() {
    setBusy(true);
    setError(null);
    try {
      const answer = await api.send<{ emergency: Emergency }>(
        'POST',
        `/api/emergencies/${encodeURIComponent(e.id)}/acknowledge`,
        {},
      );
      onChange(answer.emergency);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <article class={`card emergency${acked ? ' acked' : ''}`} aria-labelledby={headingId}>
      <div class="card-head">
        <h2 id={headingId}>
          {label(e.category)} · {formatDate(e.createdAt)}
        </h2>
        <Badge tone={acked ? 'ok' : 'danger'}>{acked ? 'Acknowledged' : 'Open'}</Badge>
      </div>
      <p>{e.summary}</p>
      <p class="muted">
        Caller said: “{e.trigger}”
        {e.callSid ? (
          <>
            {' · '}
            <Link href={`/admin/calls/${encodeURIComponent(e.callSid)}`}>Open call</Link>
          </>
        ) : null}
      </p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {e.acknowledgedAt ? (
        <p class="acked-by">
          Acknowledged by {byWhom(e.acknowledgedBy)} at {formatDate(e.acknowledgedAt)}
        </p>
      ) : e.status === 'open' ? (
        <Button variant="primary" busy={busy} onClick={() => void acknowledge()}>
          Acknowledge
        </Button>
      ) : null}
      <h3 class="deliveries-title">Notifications</h3>
      {e.notifications && e.notifications.length ? (
        <ul class="deliveries" aria-label="Notifications">
          {e.notifications.map((n) => (
            <DeliveryRow key={n.id} delivery={n} />
          ))}
        </ul>
      ) : (
        <p class="muted">No notification was sent for this emergency.</p>
      )}
    </article>
  );
}

const CHANNELS: Record<string, string> = {
  sms: 'SMS',
  email: 'Email',
  call: 'Phone call',
  'voice-call': 'Phone call',
  voice: 'Phone call',
  slack: 'Slack',
  whatsapp: 'WhatsApp',
};

function DeliveryRow({ delivery: n }: { delivery: Delivery }) {
  const tone =
    n.status === 'delivered' || n.status === 'sent'
      ? 'ok'
      : n.status === 'failed' || n.status === 'dead'
        ? 'danger'
        : 'warn';
  return (
    <li>
      <strong>{CHANNELS[n.channel] ?? n.channel}</strong>
      <span>to {n.to}</span>
      <Badge tone={tone}>{n.status}</Badge>
      <span class="muted">
        {n.deliveredAt
          ? `delivered ${formatDate(n.deliveredAt)}`
          : n.sentAt
            ? `sent ${formatDate(n.sentAt)}`
            : `${n.attempts} attempt${n.attempts === 1 ? '' : 's'}`}
      </span>
      {n.lastError ? <span class="field-error">{n.lastError}</span> : null}
    </li>
  );
}

function label(category: string): string {
  const words = category.replace(/[_-]+/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** "dashboard:ann@example.com" -> "ann@example.com"; the API key and a phone as they are. */
function byWhom(by: string | null | undefined): string {
  if (!by) return 'someone';
  if (by.startsWith('dashboard:')) return by.slice('dashboard:'.length);
  if (by === 'api-key') return 'the API';
  return by;
}
