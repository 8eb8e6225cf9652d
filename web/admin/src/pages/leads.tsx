import { useState } from 'preact/hooks';
import { api, messageOf, query } from '../api';
import { useSession } from '../session';
import { LEAD_STATUSES, type Lead, type LeadStatus, type Paged } from '../types';
import {
  EmptyState,
  Field,
  Link,
  LoadError,
  Loading,
  Notice,
  Page,
  Table,
  formatDate,
  useAsync,
  ShowMore,
} from '../ui';

/**
 * Leads the receptionist captured: filter by status, move each through new / contacted / won /
 * lost (PATCH /api/leads/:id), and export the filtered list as CSV.
 */

const PAGE_SIZE = 50;
const STATUS_NAMES: Record<LeadStatus, string> = {
  new: 'New',
  contacted: 'Contacted',
  won: 'Won',
  lost: 'Lost',
};

export function LeadsPage() {
  const { businessId } = useSession();
  const [status, setStatus] = useState<LeadStatus | ''>('');
  const [more, setMore] = useState<Paged<Lead> | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [saving, setSaving] = useState<string | null>(null);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const list = useAsync(() => {
    setMore(null);
    return api.get<Paged<Lead>>(query('/api/leads', { businessId, status, limit: PAGE_SIZE }));
  }, [businessId, status]);

  const items = [...(list.data?.items ?? []), ...(more?.items ?? [])];
  const cursor = more ? more.nextCursor : (list.data?.nextCursor ?? null);

  async function showMore() {
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const page = await api.get<Paged<Lead>>(
        query('/api/leads', { businessId, status, limit: PAGE_SIZE, cursor }),
      );
      setMore((old) => ({ items: [...(old?.items ?? []), ...page.items], nextCursor: page.nextCursor }));
    } catch (err) {
      setMessage({ kind: 'error', text: messageOf(err) });
    } finally {
      setLoadingMore(false);
    }
  }

  async function change(lead: Lead, next: LeadStatus) {
    setSaving(lead.id);
    setMessage(null);
    try {
      await api.send('PATCH', query(`/api/leads/${encodeURIComponent(lead.id)}`, { businessId }), {
        status: next,
      });
      const apply = (l: Lead) => (l.id === lead.id ? { ...l, status: next } : l);
      list.setData((old) => ({ items: (old?.items ?? []).map(apply), nextCursor: old?.nextCursor ?? null }));
      setMore((old) => (old ? { ...old, items: old.items.map(apply) } : old));
      setMessage({ kind: 'ok', text: `Saved: ${who(lead)} is now ${STATUS_NAMES[next].toLowerCase()}.` });
    } catch (err) {
      setMessage({ kind: 'error', text: messageOf(err) });
    } finally {
      setSaving(null);
    }
  }

  return (
    <Page
      title="Leads"
      actions={
        <a class="btn" href={query('/api/leads/export.csv', { businessId, status })} download>
          Export CSV
        </a>
      }
    >
      <div class="toolbar">
        <Field label="Status">
          <select
            value={status}
            onChange={(e) => setStatus((e.target as HTMLSelectElement).value as LeadStatus | '')}
          >
            <option value="">All</option>
            {LEAD_STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_NAMES[s]}
              </option>
            ))}
          </select>
        </Field>
      </div>
      {message ? <Notice kind={message.kind}>{message.text}</Notice> : null}
      {list.error ? <LoadError error={list.error} retry={() => void list.reload()} /> : null}
      {!list.data && !list.error ? <Loading lines={6} label="Loading leads…" /> : null}
      {list.data && items.length === 0 ? (
        <EmptyState title={status ? `No ${STATUS_NAMES[status].toLowerCase()} leads` : 'No leads yet'}>
          When a caller leaves their details, the lead shows up here.
        </EmptyState>
      ) : null}
      {items.length > 0 ? (
        <Table
          caption="Leads, newest first"
          head={['Name', 'Phone', 'Need', 'Address', 'Received', 'Call', 'Status']}
        >
          {items.map((l) => (
            <tr key={l.id}>
              <td>
                {l.name ?? <span class="muted">—</span>}
                {l.complete ? null : <span class="muted"> (partial)</span>}
              </td>
              <td>{l.phone ? <a href={`tel:${l.phone}`}>{l.phone}</a> : <span class="muted">—</span>}</td>
              <td>{l.need ?? <span class="muted">—</span>}</td>
              <td>{l.address ?? <span class="muted">—</span>}</td>
              <td>{formatDate(l.createdAt)}</td>
              <td>
                {l.callSid ? (
                  <Link href={`/admin/calls/${encodeURIComponent(l.callSid)}`}>Open call</Link>
                ) : (
                  '—'
                )}
              </td>
              <td>
                <label class="visually-hidden" for={`status-${l.id}`}>
                  Status for {who(l)}
                </label>
                <select
                  id={`status-${l.id}`}
                  value={l.status}
                  disabled={saving === l.id}
                  onChange={(e) => void change(l, (e.target as HTMLSelectElement).value as LeadStatus)}
                >
                  {LEAD_STATUSES.map((s) => (
                    <option key={s} value={s}>
                      {STATUS_NAMES[s]}
                    </option>
                  ))}
                </select>
              </td>
            </tr>
          ))}
        </Table>
      ) : null}
      <ShowMore more={Boolean(cursor)} busy={loadingMore} onMore={() => void showMore()} />
    </Page>
  );
}

/** What a lead is called: the name, else the phone, else when it came in. */
function who(l: Lead): string {
  return l.name ?? l.phone ?? `the lead of ${formatDate(l.createdAt)}`;
}
