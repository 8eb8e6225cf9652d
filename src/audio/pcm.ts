/** Mono 16-bit PCM at a known rate: the one audio shape passed between stages. */
export interface PcmAudio {
  readonly samples: Int16Array;
  readonly sampleRate: number;
}
