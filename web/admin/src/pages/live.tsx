import { Page } from '../ui';
export function LivePage() {
  return <Page title="Live calls">Loading…</Page>;
}
