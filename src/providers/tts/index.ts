export type { TextToSpeech } from './tts.js';
export { FliteTts, createFliteTts, type FliteTtsOptions } from './flite.js';
export { FliteWasm, FLITE_VOICES, isFliteVoice, type FliteVoice } from './flite-wasi.js';
export { normalizeForSpeech, spellDigits } from './normalize.js';
export { WorkerFliteTts, createWorkerFliteTts, type WorkerFliteTtsOptions } from './worker-flite.js';
export { TtsWorkerPool, type TtsWorkerPoolOptions, type TtsPoolStats } from './tts-worker-pool.js';
// Types only: the adapter (and the vendor SDK under it) loads when the registry builds it.
export type { ElevenLabsTts, ElevenLabsTtsOptions } from './elevenlabs.js';
export { TtsChain, TTS_CHAIN_SAMPLE_RATE, type TtsChainOptions, type TtsSwitch } from './tts-chain.js';
export type { DeepgramTts, DeepgramTtsOptions } from './deepgram-aura.js';
