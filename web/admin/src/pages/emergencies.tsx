import { Page } from '../ui';
export function EmergenciesPage() {
  return <Page title="Emergencies">Loading…</Page>;
}
