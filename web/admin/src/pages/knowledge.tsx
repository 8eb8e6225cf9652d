import { useEffect, useRef, useState } from 'preact/hooks';
import { api, messageOf, query } from '../api';
import { useSession } from '../session';
import type { Paged } from '../types';
import {
  Badge,
  Button,
  EmptyState,
  Field,
  LoadError,
  Loading,
  Notice,
  Page,
  Section,
  Table,
  formatDate,
  useAsync,
} from '../ui';
import { ReadOnlyNotice, canManage } from './parts/roles';
import './settings.css';

/**
 * The knowledge base: documents the agent answers from (upload, list, delete) and "Ask", which
 * runs the search a call would and shows the passages the agent would answer from, or that it
 * would pass the question on to the owner.
 */

interface KbDocument {
  id: string;
  businessId: string;
  title: string;
  source: string;
  status: 'indexing' | 'ready';
  chunkCount: number;
  characters?: number;
  createdAt: string;
}
interface Hit {
  text: string;
  title?: string;
  score: number;
  documentId: string;
  relevant: boolean;
}

const SOURCE_NAMES: Record<string, string> = {
  text: 'Text',
  markdown: 'Markdown',
  html: 'Web page',
  pdf: 'PDF',
  faq: 'FAQ (Business page)',
};
const ACCEPT = '.txt,.md,.markdown,.html,.htm,.pdf,text/plain,text/markdown,text/html,application/pdf';

export function KnowledgePage() {
  const { businessId, user } = useSession();
  const manages = canManage(user.role);
  const docs = useAsync(
    () => api.get<Paged<KbDocument>>(query('/api/kb/documents', { businessId, limit: 100 })),
    [businessId],
  );
  const indexing = docs.data?.items.some((d) => d.status === 'indexing') ?? false;

  // A document still indexing (added elsewhere, or a big upload) is checked until it is searchable.
  useEffect(() => {
    if (!indexing) return;
    const timer = setInterval(() => void docs.reload(), 2000);
    return () => clearInterval(timer);
  }, [indexing]);

  return (
    <Page title="Knowledge">
      <p class="page-intro muted">
        Documents the agent answers callers' questions from: price lists, policies, service areas. What they
        do not answer is passed on to you as a question.
      </p>
      {!manages ? <ReadOnlyNotice what="documents" /> : null}
      {manages ? <Upload businessId={businessId} onAdded={() => void docs.reload()} /> : null}
      <Ask businessId={businessId} />
      <Section title="What the agent knows">
        {docs.error ? <LoadError error={docs.error} retry={() => void docs.reload()} /> : null}
        {!docs.data && !docs.error ? <Loading lines={3} label="Loading documents…" /> : null}
        {docs.data && docs.data.items.length === 0 ? (
          <EmptyState title="No documents yet">Upload a text, Markdown, HTML or PDF file above.</EmptyState>
        ) : null}
        {docs.data && docs.data.items.length > 0 ? (
          <Table caption="Documents, newest first" head={['Title', 'Source', 'Passages', 'Added', '']}>
            {docs.data.items.map((d) => (
              <DocumentRow key={d.id} doc={d} manages={manages} onDeleted={() => void docs.reload()} />
            ))}
          </Table>
        ) : null}
      </Section>
    </Page>
  );
}

function Upload({ businessId, onAdded }: { businessId: string; onAdded: () => void }) {
  const fileRef = useRef<HTMLInputElement>(null);
  const [title, setTitle] = useState('');
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<{ kind: 'ok' | 'error' | 'info'; text: string } | null>(null);

  async function upload(e: Event) {
    e.preventDefault();
    const file = fileRef.current?.files?.[0];
    if (!file) {
      setStatus({ kind: 'error', text: 'Choose a document to upload.' });
      fileRef.current?.focus();
      return;
    }
    const form = new FormData();
    // Text fields first: the server reads the parts in order.
    if (title.trim()) form.append('title', title.trim());
    form.append('businessId', businessId);
    form.append('file', file, file.name);
    setBusy(true);
    setStatus({ kind: 'info', text: `Uploading and indexing ${file.name}…` });
    try {
      let doc = await api.upload<KbDocument>('/api/kb/documents', form);
      // The server answers once the document is searchable; should it answer earlier, wait for it.
      for (let i = 0; doc.status === 'indexing' && i < 150; i++) {
        await new Promise((r) => setTimeout(r, 2000));
        doc = await api.get<KbDocument>(
          query(`/api/kb/documents/${encodeURIComponent(doc.id)}`, { businessId }),
        );
      }
      setStatus({
        kind: 'ok',
        text:
          doc.status === 'ready'
            ? `“${doc.title}” is ready: ${doc.chunkCount} passage${doc.chunkCount === 1 ? '' : 's'} the agent can answer from.`
            : `“${doc.title}” is still being indexed.`,
      });
      setTitle('');
      if (fileRef.current) fileRef.current.value = '';
      onAdded();
    } catch (err) {
      setStatus({ kind: 'error', text: messageOf(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Section title="Add to the knowledge base">
      <form onSubmit={upload} noValidate>
        <div class="upload-row">
          <Field label="Document" hint="Text, Markdown, HTML or PDF, up to 10 MB.">
            <input ref={fileRef} type="file" name="file" accept={ACCEPT} />
          </Field>
          <Field label="Title" hint="Default: the file's name.">
            <input
              type="text"
              name="title"
              value={title}
              onInput={(e) => setTitle((e.target as HTMLInputElement).value)}
            />
          </Field>
          <Button type="submit" variant="primary" busy={busy}>
            Upload
          </Button>
        </div>
        {status ? (
          <div class="upload-status">
            <Notice kind={status.kind}>{status.text}</Notice>
          </div>
        ) : null}
      </form>
    </Section>
  );
}

function Ask({ businessId }: { businessId: string }) {
  const [question, setQuestion] = useState('');
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<{ question: string; hits: Hit[] } | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function ask(e: Event) {
    e.preventDefault();
    const q = question.trim();
    if (!q) {
      setError('Type a question a caller might ask.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const res = await api.get<{ hits: Hit[] }>(query('/api/kb/search', { q, businessId }));
      setAnswer({ question: q, hits: res.hits.filter((h) => h.relevant) });
    } catch (err) {
      setError(messageOf(err));
      setAnswer(null);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Section title="Ask">
      <p class="muted">See what the agent would answer from, as if a caller asked.</p>
      <form
        class="inline-form ask-form"
        onSubmit={ask}
        noValidate
        role="search"
        aria-label="Ask the knowledge base"
      >
        <Field label="Question">
          <input
            type="text"
            name="q"
            value={question}
            placeholder="How much is a drain cleaning?"
            onInput={(e) => setQuestion((e.target as HTMLInputElement).value)}
          />
        </Field>
        <Button type="submit" busy={busy}>
          Ask
        </Button>
      </form>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <div aria-live="polite">
        {answer && answer.hits.length === 0 ? (
          <Notice kind="info">
            The agent would pass this question on: nothing in your documents or FAQ answers “{answer.question}
            ”, so it is taken as a question for you.
          </Notice>
        ) : null}
        {answer && answer.hits.length > 0 ? (
          <>
            <p class="answer-lead">
              The agent would answer “{answer.question}” from{' '}
              {answer.hits.length === 1 ? 'this passage' : 'these passages'}:
            </p>
            <ol class="passages">
              {answer.hits.map((h, i) => (
                <li class="passage" key={`${h.documentId}-${i}`}>
                  <blockquote>{h.text}</blockquote>
                  <div class="passage-meta">From {h.title ? `“${h.title}”` : 'a document'}</div>
                </li>
              ))}
            </ol>
          </>
        ) : null}
      </div>
    </Section>
  );
}

function DocumentRow({
  doc,
  manages,
  onDeleted,
}: {
  doc: KbDocument;
  manages: boolean;
  onDeleted: () => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const deleteRef = useRef<HTMLButtonElement>(null);
  const fromFaq = doc.source === 'faq';

  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await api.send(
        'DELETE',
        query(`/api/kb/documents/${encodeURIComponent(doc.id)}`, { businessId: doc.businessId }),
      );
      onDeleted();
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  }

  return (
    <tr>
      <td>
        {doc.title}
        {doc.status === 'indexing' ? (
          <>
            {' '}
            <Badge tone="info">Indexing…</Badge>
          </>
        ) : null}
        {error ? (
          <div class="field-error" role="alert">
            {error}
          </div>
        ) : null}
      </td>
      <td>{SOURCE_NAMES[doc.source] ?? doc.source}</td>
      <td class="num">{doc.chunkCount}</td>
      <td>{formatDate(doc.createdAt)}</td>
      <td>
        {manages && !fromFaq ? (
          <div class="row-actions">
            {confirming ? (
              <>
                <span class="confirm-text">Delete “{doc.title}”?</span>
                <button
                  ref={confirmRef}
                  type="button"
                  class="btn btn-danger btn-small"
                  disabled={busy}
                  aria-busy={busy ? true : undefined}
                  onClick={() => void remove()}
                >
                  Yes, delete
                </button>
                <button
                  type="button"
                  class="btn btn-secondary btn-small"
                  onClick={() => {
                    setConfirming(false);
                    setTimeout(() => deleteRef.current?.focus());
                  }}
                >
                  Cancel
                </button>
              </>
            ) : (
              <button
                ref={deleteRef}
                type="button"
                class="btn btn-danger btn-small"
                aria-label={`Delete ${doc.title}`}
                onClick={() => setConfirming(true)}
              >
                Delete
              </button>
            )}
          </div>
        ) : fromFaq ? (
          <span class="muted">Edit on the Business page</span>
        ) : null}
      </td>
    </tr>
  );
}
