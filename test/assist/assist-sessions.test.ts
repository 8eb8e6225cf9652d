import { describe, expect, it } from 'vitest';
import { ASSIST_END_OF_UTTERANCE_MS, forListeningIn } from '../../src/assist/assist-sessions.js';
import { turnTakingFor } from '../../src/voice/index.js';

describe('forListeningIn: how assist listens to a call it takes no turns in', () => {
  it('ends an utterance after a short silence and never holds an unfinished-sounding phrase', () => {
    const t = forListeningIn(turnTakingFor(undefined));
    expect(t.endOfTurnSilenceMs).toBe(ASSIST_END_OF_UTTERANCE_MS);
    expect(t.unfinishedExtraMs).toBe(0);
  });

  it("keeps a business's own shorter silence and its other settings", () => {
    const t = forListeningIn(turnTakingFor({ endOfTurnSilenceMs: 250, minTurnSpeechMs: 200 }));
    expect(t.endOfTurnSilenceMs).toBe(250);
    expect(t.minTurnSpeechMs).toBe(200);
  });
});
