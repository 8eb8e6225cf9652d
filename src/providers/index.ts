/** Providers: built from configuration by the registry; each kind's interface in its sub-folder's index. */
export {
  NoProviderError,
  STT_PROVIDER_NAMES,
  TTS_PROVIDER_NAMES,
  buildProviders,
  type ProviderHealth,
  type ProviderOverrides,
  type ProviderSettings,
  type Providers,
  type SttProviderName,
  type TtsProviderName,
} from './registry.js';
export type { DeepgramSettings, ElevenLabsSettings, OpenAiSettings } from './cloud-settings.js';
