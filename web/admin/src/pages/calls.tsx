import { Page } from '../ui';
export function CallsPage() {
  return <Page title="Calls">Loading…</Page>;
}
