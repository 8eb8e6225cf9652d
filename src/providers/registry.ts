import type { Embedder } from './embed/embedder.js';
import type { ChatModel } from './llm/llm.js';
import type { SpeechToText } from './stt/stt.js';
import type { TextToSpeech } from './tts/tts.js';
import type { SileroVadModel } from './vad/silero.js';
import type { Logger } from '../shared/index.js';

/*
 * The one place providers are built, from configuration. Each provider module is imported only
 * when it is built, so a configured-off vendor costs nothing and config.ts can read the names
 * below without loading any engine. Adding a provider: its file under stt/ or tts/, and one line
 * in STT or TTS here (config.ts takes the name from these tables).
 */

/** What the registry reads from Config (a narrower view, so providers do not import config.ts). */
export interface ProviderSettings {
  /** In order of preference: the first that loads is used (STT_PROVIDERS). */
  readonly sttProviders: readonly SttProviderName[];
  readonly ttsProviders: readonly TtsProviderName[];
  readonly llm:
    | {
        readonly baseUrl: string;
        readonly apiKey: string | undefined;
        readonly model: string;
        readonly timeoutMs: number;
      }
    | undefined;
  readonly embeddings:
    | {
        readonly baseUrl: string;
        readonly apiKey: string | undefined;
        readonly model: string;
        readonly dimensions: number;
      }
    | undefined;
}

export interface Entry<T> {
  /** Runs in-process with no network: /health calls it 'embedded' rather than 'up'. */
  readonly offline: boolean;
  /** Builds it, or throws when it cannot run here (missing system packages, model files). */
  create(settings: ProviderSettings, log: Logger): Promise<T & { close(): Promise<void> }>;
}

const STT = {
  pocketsphinx: {
    offline: true,
    create: async (_s, log) => (await import('./stt/pocketsphinx.js')).createPocketSphinxStt({ logger: log }),
  },
} satisfies Record<string, Entry<SpeechToText>>;

const TTS = {
  flite: {
    offline: true,
    create: async (_s, log) => (await import('./tts/worker-flite.js')).createWorkerFliteTts({ logger: log }),
  },
} satisfies Record<string, Entry<TextToSpeech>>;

export type SttProviderName = keyof typeof STT;
export type TtsProviderName = keyof typeof TTS;
/** Names STT_PROVIDERS may list. */
export const STT_PROVIDER_NAMES = Object.keys(STT) as SttProviderName[];
/** Names TTS_PROVIDERS may list. */
export const TTS_PROVIDER_NAMES = Object.keys(TTS) as TtsProviderName[];

/** A provider's state as GET /health shows it. */
export interface ProviderHealth {
  readonly status: 'up' | 'embedded' | 'disabled';
  /** The provider's name, or why there is none (never a key or an error message). */
  readonly detail: string;
}

/** Everything a call needs from outside the house, built once at start. */
export interface Providers {
  /** Undefined when none of STT_PROVIDERS could load: calls run without listening. */
  readonly stt: SpeechToText | undefined;
  readonly tts: TextToSpeech;
  readonly vad: SileroVadModel;
  /** Set when an LLM endpoint is configured. */
  readonly llm: ChatModel | undefined;
  readonly embedder: Embedder;
  /** What was built, by kind, for /health. */
  health(): { stt: ProviderHealth; tts: ProviderHealth };
  /** Closes what the registry built (not what was passed in as an override). */
  close(): Promise<void>;
}

export interface ProviderOverrides {
  /** Used instead of STT_PROVIDERS; null: run without listening. */
  readonly stt?: SpeechToText | null;
  readonly tts?: TextToSpeech;
}

/** None of a TTS_PROVIDERS list could load: the agent could not speak, so the start fails. */
export class NoProviderError extends Error {
  override readonly name = 'NoProviderError';
}

/**
 * Builds the providers Config asks for: the first of STT_PROVIDERS and of TTS_PROVIDERS that
 * loads (one that cannot is logged and the next is tried), Silero VAD, the LLM and embedder.
 * Throws NoProviderError when no TTS loads; whatever was built by then is closed again.
 */
export async function buildProviders(
  settings: ProviderSettings,
  opts: { log: Logger; overrides?: ProviderOverrides },
): Promise<Providers> {
  const { log, overrides = {} } = opts;
  const owned: Array<{ close(): Promise<void> }> = [];
  const closeOwned = async () => {
    // Newest first, each on its own: one failing close must not keep the others open.
    for (const p of owned.splice(0).reverse()) {
      await p.close().catch((err: unknown) => log.warn({ err }, 'closing a provider failed'));
    }
  };
  try {
    let ttsHealth: ProviderHealth;
    let tts: TextToSpeech;
    if (overrides.tts) {
      tts = overrides.tts;
      ttsHealth = { status: 'embedded', detail: tts.name };
    } else {
      const built = await firstAvailable('TTS_PROVIDERS', settings.ttsProviders, TTS, settings, log);
      if (!built) {
        throw new NoProviderError(
          `no speech synthesizer could be loaded (TTS_PROVIDERS: ${settings.ttsProviders.join(', ')}); ` +
            'the reasons are logged above. Run scripts/setup.sh',
        );
      }
      owned.push(built.value);
      tts = built.value;
      ttsHealth = { status: built.offline ? 'embedded' : 'up', detail: built.name };
    }

    const { SileroVadModel } = await import('./vad/silero.js');
    const vad = await SileroVadModel.load();
    owned.push(vad);

    let stt: SpeechToText | undefined;
    let sttHealth: ProviderHealth;
    if (overrides.stt !== undefined) {
      stt = overrides.stt ?? undefined;
      sttHealth = stt
        ? { status: 'embedded', detail: stt.name }
        : { status: 'disabled', detail: 'calls are not heard' };
    } else {
      const built = await firstAvailable('STT_PROVIDERS', settings.sttProviders, STT, settings, log);
      if (built) {
        owned.push(built.value);
        stt = built.value;
        sttHealth = { status: built.offline ? 'embedded' : 'up', detail: built.name };
      } else {
        log.error(
          { tried: settings.sttProviders },
          'no speech recognizer could be loaded: calls will not be heard. Run scripts/setup.sh',
        );
        sttHealth = { status: 'disabled', detail: 'no speech recognizer loaded: calls are not heard' };
      }
    }

    let llm: ChatModel | undefined;
    if (settings.llm) {
      const { OpenAiChatModel } = await import('./llm/openai-chat.js');
      llm = new OpenAiChatModel({
        baseUrl: settings.llm.baseUrl,
        apiKey: settings.llm.apiKey,
        model: settings.llm.model,
        timeoutMs: settings.llm.timeoutMs,
      });
    }
    const embed = await import('./embed/index.js');
    const embedder: Embedder = settings.embeddings
      ? new embed.OpenAiEmbedder({
          baseUrl: settings.embeddings.baseUrl,
          apiKey: settings.embeddings.apiKey,
          model: settings.embeddings.model,
          dimensions: settings.embeddings.dimensions,
        })
      : new embed.HashingEmbedder();

    log.info(
      { stt: stt?.name ?? 'none', tts: tts.name, llm: llm?.name ?? 'rules', embedder: embedder.name },
      'providers ready',
    );
    let closed = false;
    return {
      stt,
      tts,
      vad,
      llm,
      embedder,
      health: () => ({ stt: sttHealth, tts: ttsHealth }),
      async close() {
        if (closed) return;
        closed = true;
        await closeOwned();
      },
    };
  } catch (err) {
    await closeOwned();
    throw err;
  }
}

/**
 * The first of `names` that builds, or undefined when none does (each failure logged with its
 * reason). Exported for tests of the fallback walk; buildProviders is the way in.
 */
export async function firstAvailable<T>(
  setting: string,
  names: readonly string[],
  table: Readonly<Record<string, Entry<T>>>,
  settings: ProviderSettings,
  log: Logger,
): Promise<{ name: string; offline: boolean; value: T & { close(): Promise<void> } } | undefined> {
  for (const name of names) {
    const entry = table[name];
    if (!entry) continue; // config.ts refuses unknown names; nothing to build
    try {
      return { name, offline: entry.offline, value: await entry.create(settings, log) };
    } catch (err) {
      const next = names[names.indexOf(name) + 1];
      log.warn(
        { provider: name, reason: err instanceof Error ? err.message : String(err) },
        `${setting}: ${name} could not be loaded${next ? `; trying ${next}` : ''}`,
      );
    }
  }
  return undefined;
}
