/**
 * The latency record of one agent turn: each stage's time in ms after the caller's end of
 * speech (negative never; absent when the stage was not reached, e.g. a turn cut short).
 */
export type LatencyStage = 'sttFinal' | 'llmFirstToken' | 'firstText' | 'firstAudio' | 'firstFrameSent';

/** Who did each stage of a turn (provider names). */
export interface TurnProviders {
  stt?: string;
  llm?: string;
  tts?: string;
}

export interface TurnLatency {
  /** Silence window used to decide the turn had ended (part of the wait, not of the work). */
  endpointingMs: number;
  sttFinalMs?: number;
  /** The language model's first token (LLM brain only). */
  llmFirstTokenMs?: number;
  firstTextMs?: number;
  firstAudioMs?: number;
  /** Voice to voice: the answer's first audio left for the caller. */
  firstFrameSentMs?: number;
  providers?: TurnProviders;
}

export class LatencyMarks {
  private readonly record: TurnLatency;

  constructor(
    /** Clock time (ms) of the caller's end of speech: the start of the wait. */
    private readonly endOfSpeechAt: number,
    endpointingMs: number,
  ) {
    this.record = { endpointingMs };
  }

  /** Records the first time a stage is reached; later calls are ignored. */
  mark(stage: LatencyStage, at: number): void {
    const key = `${stage}Ms` as const;
    if (this.record[key] === undefined) this.record[key] = Math.max(0, Math.round(at - this.endOfSpeechAt));
  }

  /** Who did each stage; later calls add to (and overwrite) what was said before. */
  by(providers: TurnProviders): void {
    this.record.providers = { ...this.record.providers, ...providers };
  }

  get value(): Readonly<TurnLatency> {
    return this.record;
  }
}
