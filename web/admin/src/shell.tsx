import { useEffect, useRef, useState } from 'preact/hooks';
import { match, routes } from './router';
import { useSession } from './session';
import { Link, Page, EmptyState } from './ui';

/**
 * The frame of every signed-in page: a skip link, the header (business, picker for admins, user,
 * Sign out), the navigation (behind "Menu" on a phone) and the page itself. Focus moves to the
 * new page's <main> after navigating, so screen readers hear where they are.
 */
export function Shell({ path }: { path: string }) {
  const session = useSession();
  const [menuOpen, setMenuOpen] = useState(false);
  const found = match(path);
  const first = useRef(true);

  useEffect(() => {
    setMenuOpen(false);
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById('main')?.focus({ preventScroll: true });
    scrollTo(0, 0);
  }, [path]);

  const current = found?.route.pattern ?? '';
  const Current = found?.route.page;

  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <div class="brand">
          <span class="brand-mark" aria-hidden="true">
            ◉
          </span>
          <span>Switchboard</span>
        </div>
        <button
          type="button"
          class="btn btn-ghost menu-button"
          aria-expanded={menuOpen}
          aria-controls="site-nav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          Menu
        </button>
        <div class="topbar-right">
          {session.user.role === 'admin' && session.businesses.length > 0 ? (
            <label class="business-picker">
              <span class="visually-hidden">Switch business</span>
              <select
                value={session.businessId}
                onChange={(e) => session.setBusinessId((e.target as HTMLSelectElement).value)}
              >
                {session.businesses.map((b) => (
                  <option key={b.id} value={b.id}>
                    {b.name}
                  </option>
                ))}
              </select>
            </label>
          ) : (
            <span class="business-name">{session.business?.name ?? ''}</span>
          )}
          {session.business ? (
            <span class={`plan plan-${session.business.plan}`}>{session.business.plan}</span>
          ) : null}
          <span class="user-email" title={session.user.role}>
            {session.user.email}
          </span>
          <button type="button" class="btn btn-ghost" onClick={() => void session.signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <div class="body">
        <nav id="site-nav" class={`sidenav${menuOpen ? ' open' : ''}`} aria-label="Main">
          <p class="nav-business">{session.business?.name ?? ''}</p>
          <ul>
            {routes
              .filter((r) => r.nav)
              .map((r) => {
                const active = current === r.pattern || current.startsWith(`${r.pattern}/`);
                return (
                  <li key={r.pattern}>
                    <Link href={r.pattern} aria-current={active ? 'page' : undefined}>
                      {r.nav}
                    </Link>
                  </li>
                );
              })}
          </ul>
        </nav>
        {Current && found ? (
          // A different business is a different page: state does not leak across.
          <Current key={`${session.businessId}:${path}`} {...found.params} />
        ) : (
          <Page title="Not found">
            <EmptyState title="There is no page at this address.">
              <Link href="/admin/live">Go to Live calls</Link>
            </EmptyState>
          </Page>
        )}
      </div>
    </div>
  );
}
