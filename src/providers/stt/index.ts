export type {
  SpeechToText,
  SttAlternative,
  SttCapabilities,
  SttEvent,
  SttStream,
  SttStreamOptions,
  Track,
} from './stt.js';
export {
  PocketSphinxStt,
  createPocketSphinxStt,
  defaultSttThreads,
  type OpUsage,
  type PocketSphinxOptions,
} from './pocketsphinx.js';
export {
  DEBIAN_EN_US_MODEL_DIR,
  POCKETSPHINX_APT_PACKAGES,
  PocketSphinxUnavailableError,
  debianEnUsModel,
  type ModelPaths,
} from './pocketsphinx-addon.js';
export { RECEPTIONIST_PHRASES } from './receptionist-phrases.js';
export { ESCAPE_PHRASES, momentPhrases } from './moments/index.js';
export { buildDomainLm, type DomainLm } from './domain-lm.js';
export { BandFill, bandFill, type BandFillOptions, type UpsampleMode } from './band-fill.js';
// Types only: the Deepgram adapter loads when the registry builds it.
export type { DeepgramStt, DeepgramSttOptions } from './deepgram.js';
