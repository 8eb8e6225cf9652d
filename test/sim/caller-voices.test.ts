import { describe, expect, it } from 'vitest';
import { mulawToPcm } from '../../src/audio/mulaw.js';
import { createFliteTts } from '../../src/providers/tts/index.js';
import { CALLER_VOICES, callerVoice, installedCallerVoices } from '../../src/sim/caller-audio.js';

/** setup-debian.sh installs festival with its HTS and diphone voices, and espeak-ng. */
describe('simulator caller voices', () => {
  it('finds the installed voices most natural first, festival’s HTS voice ahead of the robotic ones', async () => {
    const installed = await installedCallerVoices();
    expect(installed).toEqual(['slt', 'kal', 'ked', 'espeak', 'rms']);
    expect(CALLER_VOICES.map((v) => v.name)).toEqual(installed);
  });

  it.each(CALLER_VOICES.map((v) => v.name))('voice %s speaks a caller turn as 8 kHz mu-law', async (name) => {
    const speak = await callerVoice(name, (voice) => createFliteTts({ voice }));
    const audio = await speak({ say: 'What are your hours on Saturday?' });
    const pcm = mulawToPcm(audio);
    const seconds = pcm.length / 8000;
    expect(seconds).toBeGreaterThan(1);
    expect(seconds).toBeLessThan(5);
    expect(Math.max(...pcm.map(Math.abs))).toBeGreaterThan(3000);
  });
});
