export type { VoiceActivityDetector } from './vad.js';
export {
  SileroVadModel,
  SileroVad,
  SILERO_V5_SHA256,
  defaultSileroModelPath,
  type SileroSampleRate,
  type SileroVadModelOptions,
} from './silero.js';
export {
  SpeechDetector,
  SPEECH_DETECTOR_DEFAULTS,
  type SpeechEvent,
  type SpeechDetectorOptions,
} from './speech-detector.js';
