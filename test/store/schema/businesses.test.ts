import { describe, expect, it } from 'vitest';
import { businessSettingsSchema } from '../../../src/store/schema/businesses.js';

/** A business's voice settings, checked where settings come in (create and update). */
describe('business settings: voice', () => {
  it('takes a mode and a turn detection, filling OpenAI server_vad defaults', () => {
    const s = businessSettingsSchema.parse({
      voice: { mode: 'realtime', turnDetection: { type: 'server_vad' } },
    });
    expect(s.voice).toEqual({
      mode: 'realtime',
      turnDetection: { type: 'server_vad', threshold: 0.5, prefixPaddingMs: 300, silenceDurationMs: 500 },
    });
    const semantic = businessSettingsSchema.parse({ voice: { turnDetection: { type: 'semantic_vad' } } });
    expect(semantic.voice?.turnDetection).toEqual({ type: 'semantic_vad', eagerness: 'auto' });
  });

  it.each([
    [{ mode: 'speech-to-speech' }],
    [{ turnDetection: { type: 'server_vad', threshold: 1.5 } }],
    [{ turnDetection: { type: 'semantic_vad', eagerness: 'eager' } }],
    [{ turnDetection: { type: 'none' } }],
    [{ mode: 'realtime', voice: 'marin' }],
  ])('refuses %j', (voice) => {
    expect(businessSettingsSchema.safeParse({ voice }).success).toBe(false);
  });

  it('keeps other sections as they are', () => {
    expect(businessSettingsSchema.parse({ notifications: { x: 1 } })).toEqual({ notifications: { x: 1 } });
  });
});
