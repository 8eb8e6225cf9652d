import { createContext, type ComponentChildren } from 'preact';
import { useCallback, useContext, useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiFailure, setCsrfToken, whenSignedOut } from './api';
import { navigate } from './navigation';
import type { Business, Me, Paged, User } from './types';

/**
 * Who is signed in and which business the pages show. Owners and agents see their own business;
 * admins pick one in the header (remembered in this browser). Children render only once signed in.
 */

export interface SessionUser {
  id: string;
  email: string;
  role: User['role'];
  businessId: string | null;
}

export interface SessionValue {
  user: SessionUser;
  /** The business every page shows and edits. */
  businessId: string;
  business: Business | null;
  reloadBusiness(): Promise<void>;
  /** Admins only: switch the business the pages show. */
  setBusinessId(id: string): void;
  /** Admins: the businesses they may pick from (others: just their own). */
  businesses: { id: string; name: string }[];
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionValue | null>(null);
const PICKED = 'switchboard.businessId';

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside <SessionProvider>');
  return value;
}

function toSignIn(): void {
  const here = location.pathname + location.search;
  navigate(`/admin/login${here.startsWith('/admin/login') ? '' : `?next=${encodeURIComponent(here)}`}`, {
    replace: true,
  });
}

type State =
  | { phase: 'loading' }
  | { phase: 'failed'; message: string }
  | { phase: 'ready'; user: SessionUser; businesses: { id: string; name: string }[]; businessId: string };

export function SessionProvider({
  children,
  loading,
}: {
  children: ComponentChildren;
  loading: ComponentChildren;
}) {
  const [state, setState] = useState<State>({ phase: 'loading' });
  const [business, setBusiness] = useState<Business | null>(null);

  useEffect(() => {
    whenSignedOut(toSignIn);
    let cancelled = false;
    void (async () => {
      try {
        const me = await api.get<Me>('/api/auth/me');
        setCsrfToken(me.csrfToken);
        if (!me.user) return toSignIn();
        const user = me.user;
        let businesses: { id: string; name: string }[] = [];
        let businessId = user.businessId;
        if (user.role === 'admin') {
          const list = await api.get<Paged<Business>>('/api/business?limit=200');
          businesses = list.items.map((b) => ({ id: b.id, name: b.name }));
          const picked = localStorage.getItem(PICKED);
          businessId = businesses.find((b) => b.id === picked)?.id ?? businesses[0]?.id ?? null;
        }
        if (cancelled) return;
        if (!businessId) return setState({ phase: 'failed', message: 'There is no business to show yet.' });
        setState({ phase: 'ready', user, businesses, businessId });
      } catch (err) {
        if (cancelled) return;
        if (err instanceof ApiFailure && err.status === 401) return;
        setState({
          phase: 'failed',
          message: err instanceof ApiFailure ? err.message : 'The server cannot be reached.',
        });
      }
    })();
    return () => void (cancelled = true);
  }, []);

  const businessId = state.phase === 'ready' ? state.businessId : null;
  const reloadBusiness = useCallback(async () => {
    if (!businessId) return;
    const answer = await api.get<{ business: Business }>(`/api/business/${encodeURIComponent(businessId)}`);
    setBusiness(answer.business);
  }, [businessId]);

  useEffect(() => {
    setBusiness(null);
    reloadBusiness().catch(() => {
      // Pages still work from businessId; the header shows no name.
    });
  }, [reloadBusiness]);

  const value = useMemo<SessionValue | null>(() => {
    if (state.phase !== 'ready') return null;
    return {
      user: state.user,
      businessId: state.businessId,
      business,
      reloadBusiness,
      businesses: state.businesses.length
        ? state.businesses
        : business
          ? [{ id: business.id, name: business.name }]
          : [],
      setBusinessId: (id: string) => {
        if (state.user.role !== 'admin') return;
        localStorage.setItem(PICKED, id);
        setState({ ...state, businessId: id });
      },
      signOut: async () => {
        try {
          await api.send('POST', '/api/auth/logout');
        } finally {
          setCsrfToken(null);
          location.assign('/admin/login');
        }
      },
    };
  }, [state, business, reloadBusiness]);

  if (state.phase === 'failed')
    return (
      <main id="main" class="center-screen">
        <div class="notice notice-error" role="alert">
          {state.message}
        </div>
      </main>
    );
  if (!value) return <>{loading}</>;
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}
