import type { CallDetail } from '../store/index.js';
import type { CallEvent } from '../voice/index.js';

/**
 * What the dashboard's live feed (GET /api/live) says, in the contract's words: a snapshot of
 * the calls in progress, then each call's start and end, its words as they come, and alerts.
 * This file only translates; the route (live-api.ts) streams.
 */

export type LiveSpeaker = 'caller' | 'agent';

export interface LiveTranscript {
  callSid: string;
  speaker: LiveSpeaker;
  text: string;
  final: boolean;
  /** Ms since the call's stream started (the stored turns' offsets). */
  atMs: number;
}

export interface LiveCallState {
  callSid: string;
  from: string | null;
  startedAt: string;
  answeredBy: 'ai' | 'human';
  transcript: Omit<LiveTranscript, 'callSid'>[];
}

export type LiveMessage =
  | { event: 'snapshot'; data: { calls: LiveCallState[] } }
  | {
      event: 'call';
      data: {
        callSid: string;
        kind: 'started' | 'ended';
        from?: string;
        startedAt?: string;
        reason?: string;
      };
    }
  | { event: 'transcript'; data: LiveTranscript }
  | {
      event: 'alert';
      data: { callSid: string; kind: 'emergency' | 'lead' | 'booking' | 'transfer'; summary: string };
    };

/** One call in the snapshot: its stored turns so far (an interrupted agent turn as it was heard). */
export function snapshotCall(call: CallDetail): LiveCallState {
  return {
    callSid: call.callSid,
    from: call.fromNumber,
    startedAt: call.startedAt.toISOString(),
    answeredBy: call.answeredBy,
    transcript: call.turns
      .map((t) => ({
        speaker: (t.speaker === 'caller' ? 'caller' : 'agent') as LiveSpeaker,
        text: t.interrupted ? (t.heardText ?? '') : t.text,
        final: true,
        atMs: t.startOffsetMs ?? 0,
      }))
      .filter((t) => t.text !== ''),
  };
}

/**
 * Turns one feed's call events into messages. Stateful per feed: an interim transcript carries
 * no offset of its own, so it is placed at the start of the speech it belongs to.
 */
export class LiveEventMapper {
  private readonly speechStartMs = new Map<string, number>();

  map(e: CallEvent): LiveMessage | undefined {
    switch (e.type) {
      case 'call-started':
        return {
          event: 'call',
          data: { callSid: e.callSid, kind: 'started', startedAt: new Date(e.at).toISOString() },
        };
      case 'call-ended':
        this.speechStartMs.delete(e.callSid);
        return { event: 'call', data: { callSid: e.callSid, kind: 'ended', reason: e.reason } };
      case 'speech-started':
        if (e.track === 'inbound') this.speechStartMs.set(e.callSid, e.atMs);
        return undefined;
      case 'transcript-interim':
        // The agent's words are sent when its turn ends; a person answering speaks on 'outbound'.
        if (e.track !== 'inbound' || e.text === '') return undefined;
        return this.words(e.callSid, 'caller', e.text, false, this.speechStartMs.get(e.callSid) ?? 0);
      case 'transcript-final':
        if (e.text === '') return undefined;
        return this.words(e.callSid, e.track === 'inbound' ? 'caller' : 'agent', e.text, true, e.startMs);
      case 'agent-turn-ended':
        return e.text === '' ? undefined : this.words(e.callSid, 'agent', e.text, true, e.startMs);
      case 'agent-turn-interrupted':
        return e.heardText === '' ? undefined : this.words(e.callSid, 'agent', e.heardText, true, e.startMs);
      case 'emergency':
        return this.alert(e.callSid, 'emergency', e.summary || `Emergency: ${e.category}`);
      case 'lead':
        // A lead is written after each answer; the dashboard is told once it is whole.
        return e.complete ? this.alert(e.callSid, 'lead', leadSummary(e.fields)) : undefined;
      case 'booking':
        return this.alert(e.callSid, 'booking', `Appointment ${e.action}: ${e.start}`);
      case 'transfer':
        return this.alert(e.callSid, 'transfer', e.summary || 'The caller asked for a person.');
      default:
        return undefined;
    }
  }

  private words(
    callSid: string,
    speaker: LiveSpeaker,
    text: string,
    final: boolean,
    atMs: number,
  ): LiveMessage {
    return { event: 'transcript', data: { callSid, speaker, text, final, atMs } };
  }

  private alert(
    callSid: string,
    kind: 'emergency' | 'lead' | 'booking' | 'transfer',
    summary: string,
  ): LiveMessage {
    return { event: 'alert', data: { callSid, kind, summary } };
  }
}

function leadSummary(fields: Record<string, string | undefined>): string {
  const who = fields['name'];
  const need = fields['need'];
  return `New lead${who ? ` from ${who}` : ''}${need ? `: ${need}` : ''}`;
}

/** One message in SSE form. JSON has no raw newlines, so one `data:` line is enough. */
export function sseFrame(m: LiveMessage): string {
  return `event: ${m.event}\ndata: ${JSON.stringify(m.data)}\n\n`;
}
