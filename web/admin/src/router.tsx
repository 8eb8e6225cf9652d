import type { ComponentType } from 'preact';
import { AnalyticsPage } from './pages/analytics';
import { BusinessPage } from './pages/business';
import { CallDetailPage } from './pages/call-detail';
import { CallsPage } from './pages/calls';
import { EmergenciesPage } from './pages/emergencies';
import { KnowledgePage } from './pages/knowledge';
import { LeadsPage } from './pages/leads';
import { LivePage } from './pages/live';
import { NotificationsPage } from './pages/notifications';
import { UsersPage } from './pages/users';

/**
 * Every signed-in page: its address, its name in the navigation (absent: not in the nav), and
 * its component, which gets the address's :params as props. /admin itself shows Live.
 */
export interface RouteDef {
  pattern: string;
  nav?: string;
  page: ComponentType<Record<string, string>>;
}

export const routes: RouteDef[] = [
  { pattern: '/admin/live', nav: 'Live', page: LivePage },
  { pattern: '/admin/calls', nav: 'Calls', page: CallsPage },
  { pattern: '/admin/calls/:callSid', page: CallDetailPage as ComponentType<Record<string, string>> },
  { pattern: '/admin/leads', nav: 'Leads', page: LeadsPage },
  { pattern: '/admin/emergencies', nav: 'Emergencies', page: EmergenciesPage },
  { pattern: '/admin/knowledge', nav: 'Knowledge', page: KnowledgePage },
  { pattern: '/admin/business', nav: 'Business', page: BusinessPage },
  { pattern: '/admin/notifications', nav: 'Notifications', page: NotificationsPage },
  { pattern: '/admin/analytics', nav: 'Analytics', page: AnalyticsPage },
  { pattern: '/admin/users', nav: 'Users', page: UsersPage },
];

export interface Match {
  route: RouteDef;
  params: Record<string, string>;
}

/** The route for a path; /admin is /admin/live. */
export function match(path: string): Match | null {
  const p = path === '/admin' ? '/admin/live' : path;
  const parts = p.split('/');
  for (const route of routes) {
    const want = route.pattern.split('/');
    if (want.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const ok = want.every((w, i) => {
      const got = parts[i] ?? '';
      if (w.startsWith(':')) {
        if (!got) return false;
        params[w.slice(1)] = decodeURIComponent(got);
        return true;
      }
      return w === got;
    });
    if (ok) return { route, params };
  }
  return null;
}
