import { api, query } from '../../api';
import { usePoll } from '../../ui';
import '../settings.css';

/** GET /api/monitoring's answer (PRO): this node's health and the business's live calls on it. */
interface Monitoring {
  status: 'ok' | 'degraded';
  uptimeSeconds: number;
  memory: { heapUsedMB: number; heapTotalMB: number; heapUsedPercent: number };
  calls: { live: number };
  webSocket: { activeConnections: number };
  dependencies: Record<string, { status: string }>;
}

const uptime = (s: number) =>
  s >= 86_400
    ? `${Math.floor(s / 86_400)} d`
    : s >= 3600
      ? `${Math.floor(s / 3600)} h`
      : `${Math.floor(s / 60)} min`;

/**
 * The server's health in one line for PRO businesses (health and WebSocket monitoring), polled
 * every 15 s while the page is visible. Shown beside the live calls, where a problem matters.
 */
export function NodeHealth({ businessId }: { businessId: string }) {
  const state = usePoll(() => api.get<Monitoring>(query('/api/monitoring', { businessId })), 15_000, [
    businessId,
  ]);
  const m = state.data;
  if (!m) return null;
  const down = Object.entries(m.dependencies)
    .filter(([, d]) => d.status === 'down')
    .map(([name]) => name);
  return (
    <section class={`node-health node-health-${m.status}`} aria-label="Server health">
      <strong>{m.status === 'ok' ? 'Server healthy' : `Server degraded: ${down.join(', ')} down`}</strong>
      <span>up {uptime(m.uptimeSeconds)}</span>
      <span>
        memory {m.memory.heapUsedPercent}% of {Math.round(m.memory.heapTotalMB)} MB
      </span>
      <span>{m.webSocket.activeConnections} WebSockets open</span>
    </section>
  );
}
