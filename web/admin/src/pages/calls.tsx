import { useState } from 'preact/hooks';
import { api, messageOf, query } from '../api';
import { useSession } from '../session';
import { conversationTitle } from './parts/conversation-title';
import type { Call, Paged } from '../types';
import {
  Badge,
  Button,
  EmptyState,
  Link,
  LoadError,
  Loading,
  Notice,
  Page,
  Table,
  formatDate,
  formatDuration,
  useAsync,
  ShowMore,
} from '../ui';

/** Call history, newest first, a page at a time ("Show more" follows the API's cursor). */

const PAGE_SIZE = 25;

export function CallsPage() {
  const { businessId } = useSession();
  const first = useAsync(
    () => api.get<Paged<Call>>(query('/api/calls', { businessId, limit: PAGE_SIZE })),
    [businessId],
  );
  const [more, setMore] = useState<{ items: Call[]; nextCursor: string | null } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<string | null>(null);

  const items = [...(first.data?.items ?? []), ...(more?.items ?? [])];
  const cursor = more ? more.nextCursor : (first.data?.nextCursor ?? null);

  async function showMore() {
    if (!cursor) return;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const page = await api.get<Paged<Call>>(query('/api/calls', { businessId, limit: PAGE_SIZE, cursor }));
      setMore((old) => ({ items: [...(old?.items ?? []), ...page.items], nextCursor: page.nextCursor }));
    } catch (err) {
      setMoreError(messageOf(err));
    } finally {
      setLoadingMore(false);
    }
  }

  return (
    <Page
      title="Calls"
      actions={
        <Button
          busy={first.loading && !!first.data}
          onClick={() => {
            setMore(null);
            void first.reload();
          }}
        >
          Refresh
        </Button>
      }
    >
      {first.error ? <LoadError error={first.error} retry={() => void first.reload()} /> : null}
      {!first.data && !first.error ? <Loading lines={6} label="Loading calls…" /> : null}
      {first.data && items.length === 0 ? (
        <EmptyState title="No calls yet">
          Calls to your number show up here with their transcript and recording.
        </EmptyState>
      ) : null}
      {items.length > 0 ? (
        <Table
          caption="Calls, newest first"
          head={['Caller', 'Started', 'Duration', 'Answered by', 'Status', 'Summary']}
        >
          {items.map((c) => (
            <tr key={c.id}>
              <td>
                <Link href={`/admin/calls/${encodeURIComponent(c.callSid)}`}>{conversationTitle(c)}</Link>
              </td>
              <td>{formatDate(c.startedAt)}</td>
              <td class="num">{formatDuration(c.durationSec)}</td>
              <td>{c.answeredBy === 'human' ? 'Staff' : 'AI'}</td>
              <td>
                <CallStatus status={c.status} />
              </td>
              <td class="summary-cell">
                <div class="clamp">{c.summary?.text ?? '—'}</div>
              </td>
            </tr>
          ))}
        </Table>
      ) : null}
      {moreError ? <Notice kind="error">{moreError}</Notice> : null}
      <ShowMore more={Boolean(cursor)} busy={loadingMore} onMore={() => void showMore()} />
    </Page>
  );
}

export function CallStatus({ status }: { status: string }) {
  const tone =
    status === 'completed'
      ? 'ok'
      : status === 'in-progress' || status === 'ringing' || status === 'queued'
        ? 'info'
        : status === 'failed' || status === 'busy' || status === 'no-answer' || status === 'canceled'
          ? 'warn'
          : 'neutral';
  return <Badge tone={tone}>{status.replace(/-/g, ' ')}</Badge>;
}
