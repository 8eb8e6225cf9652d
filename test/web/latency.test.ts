import { describe, expect, it } from 'vitest';
import { segments, totalMs } from '../../web/admin/src/latency.js';

describe("a turn's latency timeline", () => {
  it('draws each reached stage from the previous mark to its own', () => {
    const l = {
      endpointingMs: 500,
      sttFinalMs: 560,
      llmFirstTokenMs: 700,
      firstAudioMs: 810,
      firstFrameSentMs: 830,
    };
    expect(segments(l).map((s) => [s.key, s.fromMs, s.toMs])).toEqual([
      ['endpointing', 0, 500],
      ['stt', 500, 560],
      ['brain', 560, 700],
      ['tts', 700, 810],
      ['send', 810, 830],
    ]);
    expect(totalMs(l)).toBe(830);
  });

  it("uses the first text as the brain's mark when there is no language model token (rules brain)", () => {
    const l = { endpointingMs: 500, sttFinalMs: 520, firstTextMs: 530, firstAudioMs: 700 };
    expect(segments(l).find((s) => s.key === 'brain')).toMatchObject({ fromMs: 520, toMs: 530 });
  });

  it('leaves out stages not reached, or reached before the one drawn before them', () => {
    // The recognizer finished inside the silence window: no recognition segment of its own.
    const l = { endpointingMs: 500, sttFinalMs: 300, llmFirstTokenMs: 650 };
    expect(segments(l).map((s) => s.key)).toEqual(['endpointing', 'brain']);
    expect(totalMs(l)).toBe(650);
  });

  it('ends a cut-short turn where it got to', () => {
    expect(totalMs({ endpointingMs: 500, sttFinalMs: 540 })).toBe(540);
    expect(totalMs({})).toBe(0);
    expect(segments({})).toEqual([]);
  });
});
