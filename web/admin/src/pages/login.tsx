import { useEffect, useState } from 'preact/hooks';
import { api, messageOf, setCsrfToken } from '../api';
import type { LoginAnswer } from '../types';
import { Button, Field, Notice } from '../ui';

/** Only addresses inside the dashboard are followed after signing in (no open redirect). */
function safeNext(next: string | null): string {
  return next && next.startsWith('/admin') && !next.startsWith('/admin/login') && !next.startsWith('//')
    ? next
    : '/admin/live';
}

export function LoginPage({ next }: { next: string | null }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    document.title = 'Sign in · Switchboard';
    // Already signed in (a bookmark of this page): go on. A plain fetch, so that "not signed
    // in" stays here quietly instead of being treated as a session that ended.
    fetch('/api/auth/me', { credentials: 'same-origin' })
      .then(async (res) => {
        const me = res.ok ? ((await res.json()) as { user?: unknown }) : null;
        if (me?.user) location.replace(safeNext(next));
      })
      .catch(() => undefined);
  }, [next]);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await api.send<LoginAnswer>('POST', '/api/auth/login', { email, password });
      setCsrfToken(answer.csrfToken);
      // A full load: the session starts clean, with the cookie the answer set.
      location.assign(safeNext(next));
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  }

  return (
    <main id="main" class="login">
      <div class="login-card">
        <div class="brand login-brand">
          <span class="brand-mark" aria-hidden="true">
            ◉
          </span>
          <span>Switchboard</span>
        </div>
        <h1>Sign in</h1>
        <form onSubmit={submit} noValidate>
          {error ? <Notice kind="error">{error}</Notice> : null}
          <Field label="Email">
            <input
              type="email"
              name="email"
              autoComplete="username"
              required
              value={email}
              onInput={(e) => setEmail((e.target as HTMLInputElement).value)}
            />
          </Field>
          <Field label="Password">
            <input
              type="password"
              name="password"
              autoComplete="current-password"
              required
              value={password}
              onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
            />
          </Field>
          <Button type="submit" variant="primary" busy={busy} class="btn-block">
            Sign in
          </Button>
        </form>
      </div>
    </main>
  );
}
