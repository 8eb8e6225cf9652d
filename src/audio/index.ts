/** Audio: the phone-call hot path. G.711 mu-law, resampling, WAV, 20 ms framing, levels. */
export type { PcmAudio } from './pcm.js';
export { mulawToPcm, pcmToMulaw, encodeMulawSample, decodeMulawSample } from './mulaw.js';
export { resample, Resampler, STOPBAND_DB, PASSBAND_FRACTION } from './resample.js';
export { readWav, writeWav, WavFormatError } from './wav.js';
export type { WavAudio } from './wav.js';
export {
  FrameChunker,
  TWILIO_SAMPLE_RATE,
  FRAME_MS,
  FRAME_BYTES,
  MULAW_SILENCE,
  msForMulawBytes,
  mulawBytesForMs,
  mulawSilence,
} from './frames.js';
export { rms, dbfs, peak, goertzelPower, dtmfDigit } from './level.js';
