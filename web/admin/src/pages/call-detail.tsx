import { useState } from 'preact/hooks';
import { api, ApiFailure } from '../api';
import { segments, STAGES, totalMs } from '../latency';
import type { CallDetail, CallEvent, Suggestion, Turn, TurnLatency } from '../types';
import {
  Badge,
  EmptyState,
  Link,
  LoadError,
  Loading,
  Page,
  Section,
  Table,
  formatDate,
  formatDuration,
  formatMs,
  formatTime,
  useAsync,
} from '../ui';
import { CallStatus } from './calls';
import { conversationTitle } from './parts/conversation-title';

/**
 * One call: what happened (summary), what was said (transcript), how it sounded (recording),
 * how fast the agent answered (latency per turn), what the system saw (events) and what agent
 * assist suggested.
 */
export function CallDetailPage({ callSid }: { callSid: string }) {
  const sid = encodeURIComponent(callSid);
  const state = useAsync(() => api.get<{ call: CallDetail }>(`/api/calls/${sid}`), [callSid]);
  const call = state.data?.call;

  if (state.error instanceof ApiFailure && state.error.status === 404)
    return (
      <Page title="Call not found">
        <EmptyState title="There is no call with this id in your business.">
          <Link href="/admin/calls">Back to calls</Link>
        </EmptyState>
      </Page>
    );

  return (
    <Page
      title={call ? conversationTitle(call) : 'Call'}
      actions={<Link href="/admin/calls">← All calls</Link>}
    >
      {state.error ? <LoadError error={state.error} retry={() => void state.reload()} /> : null}
      {!call && !state.error ? <Loading lines={8} label="Loading the call…" /> : null}
      {call ? (
        <>
          <SummarySection call={call} />
          <TranscriptSection turns={call.turns} />
          <RecordingSection call={call} sid={sid} />
          <LatencySection turns={call.turns} />
          <EventsSection events={call.events} />
          {call.suggestions.length ? <SuggestionsSection suggestions={call.suggestions} /> : null}
        </>
      ) : null}
    </Page>
  );
}

function SummarySection({ call }: { call: CallDetail }) {
  const s = call.summary;
  const outcome = typeof s?.['outcome'] === 'string' ? (s['outcome'] as string) : null;
  return (
    <Section title="Summary">
      <dl class="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <CallStatus status={call.status} />
          </dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{formatDate(call.startedAt)}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{formatDuration(call.durationSec)}</dd>
        </div>
        <div>
          <dt>Answered by</dt>
          <dd>{call.answeredBy === 'human' ? 'Staff, with assist' : 'AI receptionist'}</dd>
        </div>
        <div>
          <dt>To</dt>
          <dd>{call.toNumber ?? '—'}</dd>
        </div>
        {outcome ? (
          <div>
            <dt>Outcome</dt>
            <dd>{outcome}</dd>
          </div>
        ) : null}
      </dl>
      {s?.text ? (
        <p class="summary-text">{s.text}</p>
      ) : (
        <p class="muted summary-text">No written summary yet.</p>
      )}
      {s?.actionItems?.length ? (
        <>
          <h3>Next steps</h3>
          <ul>
            {s.actionItems.map((a, i) => (
              <li key={i}>{a}</li>
            ))}
          </ul>
        </>
      ) : null}
    </Section>
  );
}

function TranscriptSection({ turns }: { turns: Turn[] }) {
  return (
    <Section title="Transcript">
      {turns.length === 0 ? (
        <p class="muted">Nothing was said on this call.</p>
      ) : (
        <ol class="transcript">
          {turns.map((t) => {
            const agent = t.speaker !== 'caller';
            return (
              <li key={t.seq} class={`line line-${agent ? 'agent' : 'caller'}`}>
                <span class="line-who">
                  {t.speaker === 'caller' ? 'Caller' : t.speaker === 'human_agent' ? 'Staff' : 'Agent'}
                  {t.startOffsetMs !== null && t.startOffsetMs !== undefined
                    ? ` · ${clock(t.startOffsetMs)}`
                    : ''}
                </span>
                <span class="line-text">{t.interrupted && t.heardText ? t.heardText : t.text}</span>
                {t.interrupted ? (
                  <span class="line-cut">
                    Interrupted by the caller{t.heardText ? ' (shown: what they heard)' : ''}
                  </span>
                ) : null}
              </li>
            );
          })}
        </ol>
      )}
    </Section>
  );
}

function RecordingSection({ call, sid }: { call: CallDetail; sid: string }) {
  const [failed, setFailed] = useState(false);
  const src = `/api/calls/${sid}/recording`;
  return (
    <Section title="Recording">
      {call.recordingPath ? (
        <>
          <audio controls preload="metadata" src={src} onError={() => setFailed(true)}>
            <a href={`${src}?download=1`}>Download the recording</a>
          </audio>
          {failed ? <p class="field-error">The recording could not be loaded.</p> : null}
          <p class="recording-meta">
            <a class="btn btn-small" href={`${src}?download=1`} download={`${call.callSid}.wav`}>
              Download recording
            </a>
            <span class="muted">Stereo WAV: the caller on the left, the agent on the right.</span>
          </p>
        </>
      ) : (
        <p class="muted">No recording was kept for this call.</p>
      )}
    </Section>
  );
}

function LatencySection({ turns }: { turns: Turn[] }) {
  const measured = turns.filter((t) => t.latency && totalMs(t.latency) > 0);
  const scale = Math.max(1, ...measured.map((t) => totalMs(t.latency as TurnLatency)));
  return (
    <Section title="Latency">
      {measured.length === 0 ? (
        <p class="muted">No agent turn of this call has latency figures.</p>
      ) : (
        <>
          <p class="muted">
            From the moment the caller stopped speaking to the agent's first sound, per answer.
          </p>
          <div class="legend" aria-hidden="true">
            {STAGES.map((s) => (
              <span key={s.key}>
                <i class={`seg-${s.key}`} />
                {s.label}
              </span>
            ))}
          </div>
          <div class="latency" aria-hidden="true">
            {measured.map((t, i) => {
              const l = t.latency as TurnLatency;
              return (
                <div class="latency-row" key={t.seq}>
                  <span class="muted">Turn {i + 1}</span>
                  <svg
                    class="latency-track"
                    viewBox="0 0 1000 16"
                    preserveAspectRatio="none"
                    role="presentation"
                  >
                    {segments(l).map((s) => (
                      <rect
                        key={s.key}
                        class={`seg-${s.key}`}
                        x={(s.fromMs / scale) * 1000}
                        y={0}
                        width={((s.toMs - s.fromMs) / scale) * 1000}
                        height={16}
                      >
                        <title>{`${s.label}: ${formatMs(s.toMs)}`}</title>
                      </rect>
                    ))}
                  </svg>
                  <span class="num">{formatMs(totalMs(l))}</span>
                </div>
              );
            })}
          </div>
          <details class="latency-table">
            <summary>Figures</summary>
            <Table
              caption="Latency per agent turn, ms after the caller's end of speech"
              head={[
                'Turn',
                'Said',
                'Endpointing',
                'Recognition',
                'First token',
                'First audio',
                'Voice to voice',
              ]}
            >
              {measured.map((t, i) => {
                const l = t.latency as TurnLatency;
                return (
                  <tr key={t.seq}>
                    <td>{i + 1}</td>
                    <td class="summary-cell">{t.text}</td>
                    <td class="num">{formatMs(l.endpointingMs)}</td>
                    <td class="num">{formatMs(l.sttFinalMs)}</td>
                    <td class="num">{formatMs(l.llmFirstTokenMs ?? l.firstTextMs)}</td>
                    <td class="num">{formatMs(l.firstAudioMs)}</td>
                    <td class="num">{formatMs(l.firstFrameSentMs)}</td>
                  </tr>
                );
              })}
            </Table>
          </details>
        </>
      )}
    </Section>
  );
}

function EventsSection({ events }: { events: CallEvent[] }) {
  return (
    <Section title="Events">
      {events.length === 0 ? (
        <p class="muted">No events were recorded.</p>
      ) : (
        <ol class="events">
          {events.map((e, i) => {
            const entries = Object.entries(e.payload ?? {});
            return (
              <li key={e.id ?? i}>
                <span class="muted">{formatTime(e.occurredAt)}</span>
                <div>
                  <code>{e.type}</code>
                  {entries.length ? (
                    <dl class="kv">
                      {entries.map(([k, v]) => (
                        <div key={k}>
                          <dt>{k}</dt>
                          <dd>{shown(v)}</dd>
                        </div>
                      ))}
                    </dl>
                  ) : null}
                </div>
              </li>
            );
          })}
        </ol>
      )}
    </Section>
  );
}

function SuggestionsSection({ suggestions }: { suggestions: Suggestion[] }) {
  return (
    <Section title="Suggestions">
      <Table head={['At', 'Kind', 'Suggestion', 'Confidence']}>
        {suggestions.map((s) => (
          <tr key={s.id}>
            <td class="num">{clock(s.atMs)}</td>
            <td>
              <Badge tone={s.priority === 'high' ? 'danger' : s.priority === 'medium' ? 'warn' : 'neutral'}>
                {s.intent ?? s.kind}
              </Badge>
            </td>
            <td>{s.content}</td>
            <td class="num">{Math.round(s.confidence * 100)}%</td>
          </tr>
        ))}
      </Table>
    </Section>
  );
}

/** An event's value in a few words: lists joined, objects as JSON, long text cut. */
function shown(v: unknown): string {
  const text =
    Array.isArray(v) && v.every((x) => typeof x !== 'object')
      ? v.join(', ')
      : typeof v === 'string'
        ? v
        : JSON.stringify(v);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** 83_000 -> "1:23" on the call's clock. */
function clock(ms: number): string {
  return formatDuration(ms / 1000);
}
