/**
 * A turn's wait, drawn as consecutive stages (pure, tested on its own). Each stage's figure is
 * ms after the caller's end of speech at which it was reached (src/voice/latency.ts); a stage
 * runs from the previous reached one to its own mark. Stages not reached, or reached no later
 * than the previous one (they overlapped), are left out.
 */

export interface LatencyMarks {
  endpointingMs?: number;
  sttFinalMs?: number;
  llmFirstTokenMs?: number;
  firstTextMs?: number;
  firstAudioMs?: number;
  firstFrameSentMs?: number;
}

export interface Stage {
  key: 'endpointing' | 'stt' | 'brain' | 'tts' | 'send';
  label: string;
  end(l: LatencyMarks): number | undefined;
}

export const STAGES: readonly Stage[] = [
  { key: 'endpointing', label: 'Endpointing', end: (l) => l.endpointingMs },
  { key: 'stt', label: 'Recognition', end: (l) => l.sttFinalMs },
  { key: 'brain', label: 'Brain (first token)', end: (l) => l.llmFirstTokenMs ?? l.firstTextMs },
  { key: 'tts', label: 'Speech (first audio)', end: (l) => l.firstAudioMs },
  { key: 'send', label: 'Sent to caller', end: (l) => l.firstFrameSentMs },
];

/** Voice to voice, or as far as the turn got. */
export function totalMs(l: LatencyMarks): number {
  return (
    l.firstFrameSentMs ??
    l.firstAudioMs ??
    l.llmFirstTokenMs ??
    l.firstTextMs ??
    l.sttFinalMs ??
    l.endpointingMs ??
    0
  );
}

export interface Segment {
  key: Stage['key'];
  label: string;
  fromMs: number;
  toMs: number;
}

export function segments(l: LatencyMarks): Segment[] {
  const out: Segment[] = [];
  let at = 0;
  for (const s of STAGES) {
    const end = s.end(l);
    if (end === undefined || end <= at) continue;
    out.push({ key: s.key, label: s.label, fromMs: at, toMs: end });
    at = end;
  }
  return out;
}
