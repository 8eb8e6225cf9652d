import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CallEvent } from '../voice/index.js';

/**
 * Prometheus metrics for one server instance. Its own Registry, never prom-client's global,
 * so several servers (tests) never share counters.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly activeCalls = new Gauge({
    name: 'switchboard_active_calls',
    help: 'Calls with an open media stream',
    registers: [this.registry],
  });
  readonly wsConnections = new Gauge({
    name: 'switchboard_websocket_connections',
    help: 'Open WebSocket connections',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly wsOpen = new Gauge({
    name: 'switchboard_websocket_active_connections',
    help: 'Open WebSockets of every route, by kind (counted where the server accepts them)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  /** Set by the WebSocket registry: its counts by kind, read at scrape time (not per frame). */
  webSocketMessagesIn?: () => Iterable<[kind: string, count: number]>;
  readonly wsMessagesIn: Counter<'kind'> = new Counter({
    name: 'switchboard_websocket_messages_total',
    help: 'Messages received on WebSockets, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
    collect: () => {
      const counts = this.webSocketMessagesIn?.();
      if (!counts) return;
      this.wsMessagesIn.reset();
      for (const [kind, n] of counts) this.wsMessagesIn.inc({ kind }, n);
    },
  });
  readonly wsTerminated = new Counter({
    name: 'switchboard_websocket_terminated_total',
    help: 'WebSockets terminated for no pong through two WEBSOCKET_PING_INTERVALs, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly framesIn = new Counter({
    name: 'switchboard_media_frames_in_total',
    help: 'Media frames received from Twilio',
    registers: [this.registry],
  });
  readonly framesOut = new Counter({
    name: 'switchboard_media_frames_out_total',
    help: 'Media frames sent to Twilio',
    registers: [this.registry],
  });
  readonly protocolErrors = new Counter({
    name: 'switchboard_protocol_errors_total',
    help: 'Malformed or unknown media-stream messages',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly rejectedWebhooks = new Counter({
    name: 'switchboard_rejected_webhooks_total',
    help: 'Twilio requests refused (bad signature, bad token, unknown call)',
    labelNames: ['route', 'reason'] as const,
    registers: [this.registry],
  });
  readonly turnLatency = new Histogram({
    name: 'switchboard_turn_latency_seconds',
    help: 'Per-stage latency of agent turns, from the caller end of speech (firstFrameSent is voice to voice), by the provider that did the stage',
    labelNames: ['stage', 'provider'] as const,
    buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5],
    registers: [this.registry],
  });
  readonly providerSwitches = new Counter({
    name: 'switchboard_provider_switches_total',
    help: 'Providers replaced mid-call (failed, closed or stalled), by kind and from/to',
    labelNames: ['kind', 'from', 'to'] as const,
    registers: [this.registry],
  });
  readonly refusedConnections = new Counter({
    name: 'switchboard_refused_connections_total',
    help: 'Connections refused at accept: over MAX_CONNECTIONS_PER_IP',
    registers: [this.registry],
  });
  readonly refusedCalls = new Counter({
    name: 'switchboard_calls_refused_total',
    help: 'New calls turned away with a spoken line, by reason (over-capacity: MAX_CONCURRENT_CALLS) and where (webhook or stream)',
    labelNames: ['reason', 'at'] as const,
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'switchboard_rate_limited_total',
    help: 'Requests refused with 429 by a per-address limit: http (HTTP_REQUESTS_PER_MINUTE_PER_IP), ws-upgrade (WS_UPGRADES_PER_MINUTE_PER_IP), route (a route of its own, e.g. sign-in)',
    labelNames: ['scope'] as const,
    registers: [this.registry],
  });
  readonly notificationAlarms = new Counter({
    name: 'switchboard_notification_alarms_total',
    help: 'Emergency notifications given up (refused, or the provider down for the whole retry window)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly assistFeedMessages = new Counter({
    name: 'switchboard_assist_feed_messages_total',
    help: "Messages for agents' assist feeds, by type and outcome (sent, or dropped when the agent's socket fell behind)",
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly bargeIns = new Counter({
    name: 'switchboard_barge_ins_total',
    help: 'Agent speech interrupted by the caller',
    registers: [this.registry],
  });

  readonly callsEnded = new Counter({
    name: 'switchboard_calls_ended_total',
    help: 'Calls whose stream ended on this node, by how they ended',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly callDuration = new Histogram({
    name: 'switchboard_call_duration_seconds',
    help: 'Length of calls from stream start to end',
    buckets: [10, 30, 60, 120, 300, 600, 1200, 3600],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'switchboard_' });
  }

  /** A listener on a call's events: latency per stage, barge-ins, how calls end. */
  readonly observeCall = (e: CallEvent): void => {
    switch (e.type) {
      case 'turn-latency': {
        const l = e.latency;
        const p = l.providers ?? {};
        const stages: Array<[string, number | undefined, string | undefined]> = [
          ['sttFinal', l.sttFinalMs, p.stt],
          ['llmFirstToken', l.llmFirstTokenMs, p.llm],
          ['firstText', l.firstTextMs, p.llm],
          ['firstAudio', l.firstAudioMs, p.tts],
          // Voice to voice is the whole chain's: labelled by the synthesizer that spoke it.
          ['firstFrameSent', l.firstFrameSentMs, p.tts],
        ];
        for (const [stage, ms, provider] of stages)
          if (ms !== undefined)
            this.turnLatency.observe({ stage, provider: provider ?? 'unknown' }, ms / 1000);
        return;
      }
      case 'provider-switched':
        this.providerSwitches.inc({ kind: e.kind, from: e.from, to: e.to });
        return;
      case 'agent-turn-interrupted':
        if (e.reason === 'barge-in') this.bargeIns.inc();
        return;
      case 'call-ended':
        this.callsEnded.inc({ outcome: e.outcome });
        this.callDuration.observe(e.summary.durationMs / 1000);
        return;
      default:
        return;
    }
  };
}
