import { LoginPage } from './pages/login';
import { useLocation } from './navigation';
import { SessionProvider } from './session';
import { Shell } from './shell';
import { Loading } from './ui';

/** Sign-in stands alone; every other address needs a session and lives in the shell. */
export function App() {
  const where = useLocation();
  if (where.path === '/admin/login') return <LoginPage next={where.search.get('next')} />;
  return (
    <SessionProvider
      loading={
        <main id="main" class="center-screen">
          <Loading lines={2} />
        </main>
      }
    >
      <Shell path={where.path} />
    </SessionProvider>
  );
}
