import { describe, expect, it } from 'vitest';
import * as audio from '../../src/audio/index.js';

describe('audio public face', () => {
  it('exports the codec, resampler, WAV, framing and level helpers', () => {
    const names = Object.keys(audio).sort();
    expect(names).toEqual(
      [
        'FRAME_BYTES',
        'FRAME_MS',
        'FrameChunker',
        'MULAW_SILENCE',
        'PASSBAND_FRACTION',
        'Resampler',
        'STOPBAND_DB',
        'TWILIO_SAMPLE_RATE',
        'WavFormatError',
        'dbfs',
        'decodeMulawSample',
        'dtmfDigit',
        'encodeMulawSample',
        'goertzelPower',
        'msForMulawBytes',
        'mulawBytesForMs',
        'mulawSilence',
        'mulawToPcm',
        'peak',
        'pcmToMulaw',
        'readWav',
        'resample',
        'rms',
        'writeWav',
      ].sort(),
    );
  });

  it('carries 20 ms of Twilio audio from 24 kHz TTS to mu-law frames and back', () => {
    const tts = {
      samples: Int16Array.from({ length: 480 * 5 }, (_, i) => Math.round(8000 * Math.sin(i / 7))),
      sampleRate: 24000,
    };
    const phone = audio.resample(tts, audio.TWILIO_SAMPLE_RATE);
    const frames = new audio.FrameChunker().push(audio.pcmToMulaw(phone.samples));
    expect(frames.length).toBe(5);
    expect(audio.msForMulawBytes(frames.reduce((n, f) => n + f.length, 0))).toBe(100);
    const back = audio.mulawToPcm(frames[2]!);
    expect(Math.abs(audio.dbfs(back) - audio.dbfs(phone.samples.subarray(320, 480)))).toBeLessThan(0.5);
  });
});
