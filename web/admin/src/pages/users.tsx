import { useState } from 'preact/hooks';
import { api, messageOf, query } from '../api';
import { useSession } from '../session';
import type { Role, User } from '../types';
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
import { detailsOf } from './parts/failure';
import { canManage } from './parts/roles';
import { StatusNotice, type FormStatus } from './parts/status-notice';
import './settings.css';

/**
 * Who may sign in to the business's dashboard. Owners add and remove owners and agents; admins
 * also add admins. Agents do not manage users (the API refuses them), so they see a notice.
 */

/** The server's own minimum (src/auth/passwords.ts PASSWORD_MIN_LENGTH). */
const PASSWORD_MIN = 10;

const ROLE_NAMES: Record<Role, string> = { owner: 'Owner', agent: 'Agent', admin: 'Admin' };
const ROLE_HINTS: Record<Role, string> = {
  owner: 'Owners change the settings and manage users.',
  agent: 'Agents work the calls, leads and emergencies; they cannot change settings or users.',
  admin: 'Admins run the server: every business, and the plans.',
};

export function UsersPage() {
  const { user } = useSession();
  if (!canManage(user.role))
    return (
      <Page title="Users">
        <Notice kind="info">
          Only the business's owners and admins manage users. Ask an owner to add someone.
        </Notice>
      </Page>
    );
  return <UsersManager />;
}

function UsersManager() {
  const { businessId, user } = useSession();
  const isAdmin = user.role === 'admin';
  const list = useAsync(() => api.get<{ items: User[] }>(query('/api/users', { businessId })), [businessId]);
  const rows = list.data?.items ?? [];

  return (
    <Page title="Users">
      <p class="page-intro muted">People who can sign in to this dashboard.</p>
      {list.error ? <LoadError error={list.error} retry={() => void list.reload()} /> : null}
      {!list.data && !list.error ? <Loading lines={3} label="Loading users…" /> : null}
      {list.data && rows.length === 0 ? <EmptyState title="No users yet" /> : null}
      {rows.length > 0 ? (
        <div class="stack">
          <Table caption="Users" head={['Email', 'Role', 'Added', 'Last sign-in', '']}>
            {rows.map((u) => (
              <UserRow key={u.id} u={u} self={u.id === user.id} onRemoved={() => void list.reload()} />
            ))}
          </Table>
        </div>
      ) : null}
      <AddUser
        businessId={businessId}
        roles={isAdmin ? ['owner', 'agent', 'admin'] : ['owner', 'agent']}
        onAdded={() => void list.reload()}
      />
    </Page>
  );
}

function UserRow({ u, self, onRemoved }: { u: User; self: boolean; onRemoved: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await api.send('DELETE', `/api/users/${encodeURIComponent(u.id)}`);
      onRemoved();
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  }

  return (
    <tr>
      <td>
        {u.email}
        {self ? <span class="muted"> (you)</span> : null}
        {error ? (
          <div class="field-error" role="alert">
            {error}
          </div>
        ) : null}
      </td>
      <td>
        <Badge tone={u.role === 'agent' ? 'neutral' : 'info'}>{ROLE_NAMES[u.role]}</Badge>
      </td>
      <td>{formatDate(u.createdAt)}</td>
      <td>{u.lastLoginAt ? formatDate(u.lastLoginAt) : <span class="muted">Never</span>}</td>
      <td>
        {self ? null : confirming ? (
          <div class="row-actions">
            <span class="confirm-text">Remove {u.email}? Their sessions end at once.</span>
            <Button class="btn-small" variant="danger" busy={busy} onClick={() => void remove()}>
              Yes, remove
            </Button>
            <Button class="btn-small" onClick={() => setConfirming(false)}>
              Cancel
            </Button>
          </div>
        ) : (
          <div class="row-actions">
            <Button
              class="btn-small"
              variant="danger"
              aria-label={`Remove ${u.email}`}
              onClick={() => setConfirming(true)}
            >
              Remove
            </Button>
          </div>
        )}
      </td>
    </tr>
  );
}

function AddUser({ businessId, roles, onAdded }: { businessId: string; roles: Role[]; onAdded: () => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('agent');
  const [busy, setBusy] = useState(false);
  const [tried, setTried] = useState(false);
  const [status, setStatus] = useState<FormStatus | null>(null);

  const emailProblem = tried && !/^[^\s@]+@[^\s@]+$/.test(email.trim()) ? 'Enter their email address.' : null;
  const passwordProblem =
    tried && password.length < PASSWORD_MIN
      ? `The password needs at least ${PASSWORD_MIN} characters.`
      : null;

  async function add(e: Event) {
    e.preventDefault();
    setTried(true);
    setStatus(null);
    if (!/^[^\s@]+@[^\s@]+$/.test(email.trim()) || password.length < PASSWORD_MIN) return;
    setBusy(true);
    try {
      const res = await api.send<{ user: User }>('POST', '/api/users', {
        email: email.trim(),
        password,
        role,
        ...(role === 'admin' ? {} : { businessId }),
      });
      setStatus({
        kind: 'ok',
        text: `Added ${res.user.email} as ${ROLE_NAMES[res.user.role].toLowerCase()}.`,
      });
      setEmail('');
      setPassword('');
      setTried(false);
      onAdded();
    } catch (err) {
      setStatus({ kind: 'error', text: messageOf(err), more: detailsOf(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <Section title="Add user" id="add-user">
      <form onSubmit={add} noValidate class="settings-form" aria-labelledby="add-user">
        <Field label="Email" error={emailProblem}>
          <input
            type="email"
            name="email"
            autoComplete="off"
            value={email}
            onInput={(e) => setEmail((e.target as HTMLInputElement).value)}
          />
        </Field>
        <Field
          label="Password"
          hint={`At least ${PASSWORD_MIN} characters. Give it to them privately; they can change it after signing in.`}
          error={passwordProblem}
        >
          <input
            type="password"
            name="new-password"
            autoComplete="new-password"
            minLength={PASSWORD_MIN}
            value={password}
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
          />
        </Field>
        <Field label="Role" hint={ROLE_HINTS[role]}>
          <select value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value as Role)}>
            {roles.map((r) => (
              <option key={r} value={r}>
                {ROLE_NAMES[r]}
              </option>
            ))}
          </select>
        </Field>
        <div class="form-actions">
          <Button type="submit" variant="primary" busy={busy}>
            Add user
          </Button>
          <StatusNotice status={status} />
        </div>
      </form>
    </Section>
  );
}
