import { Page } from '../ui';
export function CallDetailPage({ callSid }: { callSid: string }) {
  return <Page title={`Call ${callSid}`}>Loading…</Page>;
}
