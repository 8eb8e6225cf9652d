import type { DeepgramSettings, ElevenLabsSettings, OpenAiSettings } from './cloud-settings.js';
import type { Embedder } from './embed/embedder.js';
import { checkDeepgramKey, checkElevenLabsKey, checkOpenAiKey, type KeyVerdict } from './key-check.js';
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
  /** Each cloud vendor's part, set when its key is configured. */
  readonly openai?: OpenAiSettings | undefined;
  readonly deepgram?: DeepgramSettings | undefined;
  readonly elevenlabs?: ElevenLabsSettings | undefined;
  /** A cloud stream that does not open within this is given up (PROVIDER_STALL_MS). */
  readonly providerStallMs?: number;
}

/** The vendor's part of the settings, or the error a missing key is (config.ts stops earlier). */
function need<T>(value: T | undefined, setting: string): T {
  if (value === undefined) throw new Error(`${setting} is not set`);
  return value;
}

export interface Entry<T> {
  /** Runs in-process with no network: /health calls it 'embedded' rather than 'up'. */
  readonly offline: boolean;
  /**
   * Builds it, or throws when it cannot run here (missing system packages, model files, a key the
   * vendor refuses: `keys` checks each vendor's once per start).
   */
  create(settings: ProviderSettings, log: Logger, keys: KeyChecks): Promise<T & { close(): Promise<void> }>;
}

/** The start-up check of each vendor's key, run at most once per start whichever kinds use it. */
export interface KeyChecks {
  /** Resolves when the vendor accepted the key (or could not be asked); throws when it refused it. */
  require(vendor: 'deepgram' | 'elevenlabs'): Promise<void>;
}

function keyChecks(settings: ProviderSettings, log: Logger): KeyChecks {
  const runs = new Map<string, Promise<KeyVerdict>>();
  const run = (vendor: 'deepgram' | 'elevenlabs'): Promise<KeyVerdict> => {
    let p = runs.get(vendor);
    if (!p) {
      p =
        vendor === 'deepgram'
          ? checkDeepgramKey(need(settings.deepgram, 'DEEPGRAM_API_KEY'))
          : checkElevenLabsKey(need(settings.elevenlabs, 'ELEVENLABS_API_KEY and ELEVENLABS_VOICE_ID'));
      runs.set(vendor, p);
    }
    return p;
  };
  return {
    async require(vendor) {
      const verdict = await run(vendor);
      if (verdict.ok) return;
      if (verdict.rejected) throw new Error(verdict.reason);
      log.warn({ vendor }, `${verdict.reason}; kept: calls fail over if it stays so`);
    },
  };
}

const STT = {
  pocketsphinx: {
    offline: true,
    create: async (_s, log) => (await import('./stt/pocketsphinx.js')).createPocketSphinxStt({ logger: log }),
  },
  deepgram: {
    offline: false,
    create: async (s, log, keys) =>
      (await keys.require('deepgram'), await import('./stt/deepgram.js')).createDeepgramStt({
        settings: need(s.deepgram, 'DEEPGRAM_API_KEY'),
        logger: log,
        ...(s.providerStallMs !== undefined ? { connectTimeoutMs: s.providerStallMs } : {}),
      }),
  },
} satisfies Record<string, Entry<SpeechToText>>;

const TTS = {
  flite: {
    offline: true,
    create: async (_s, log) => (await import('./tts/worker-flite.js')).createWorkerFliteTts({ logger: log }),
  },
  elevenlabs: {
    offline: false,
    create: async (s, log, keys) =>
      (await keys.require('elevenlabs'), await import('./tts/elevenlabs.js')).createElevenLabsTts({
        settings: need(s.elevenlabs, 'ELEVENLABS_API_KEY and ELEVENLABS_VOICE_ID'),
        logger: log,
      }),
  },
  deepgram: {
    offline: false,
    create: async (s, log, keys) =>
      (await keys.require('deepgram'), await import('./tts/deepgram-aura.js')).createDeepgramTts({
        settings: need(s.deepgram, 'DEEPGRAM_API_KEY'),
        logger: log,
      }),
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
  /** The first of `sttChain`; undefined when none of STT_PROVIDERS could load (calls run without listening). */
  readonly stt: SpeechToText | undefined;
  /** Every STT_PROVIDERS entry that loaded, in order: a call fails over along it. */
  readonly sttChain: readonly SpeechToText[];
  /** The first of `ttsChain`. */
  readonly tts: TextToSpeech;
  /** Every TTS_PROVIDERS entry that loaded, in order (never empty). */
  readonly ttsChain: readonly TextToSpeech[];
  readonly vad: SileroVadModel;
  /** Set when an LLM endpoint is configured. */
  readonly llm: ChatModel | undefined;
  readonly embedder: Embedder;
  /** OpenAI's settings for Realtime calls; undefined without OPENAI_API_KEY or when OpenAI refused it. */
  readonly realtime: OpenAiSettings | undefined;
  /** What was built, by kind, for /health (realtime only when OPENAI_API_KEY is set). */
  health(): { stt: ProviderHealth; tts: ProviderHealth; realtime?: ProviderHealth };
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
 * Builds the providers Config asks for: every entry of STT_PROVIDERS and of TTS_PROVIDERS that
 * loads, in order (one that cannot is logged and left out; calls fail over along what is left),
 * Silero VAD, the LLM and embedder. Throws NoProviderError when no TTS loads; whatever was built
 * by then is closed again.
 */
export async function buildProviders(
  settings: ProviderSettings,
  opts: { log: Logger; overrides?: ProviderOverrides },
): Promise<Providers> {
  const { log, overrides = {} } = opts;
  const keys = keyChecks(settings, log);
  // Asked now, awaited at the end: the check runs while the engines load.
  const openaiCheck = settings.openai ? checkOpenAiKey(settings.openai) : undefined;
  const owned: Array<{ close(): Promise<void> }> = [];
  const closeOwned = async () => {
    // Newest first, each on its own: one failing close must not keep the others open.
    for (const p of owned.splice(0).reverse()) {
      await p.close().catch((err: unknown) => log.warn({ err }, 'closing a provider failed'));
    }
  };
  try {
    let ttsHealth: ProviderHealth;
    let ttsChain: TextToSpeech[];
    if (overrides.tts) {
      ttsChain = [overrides.tts];
      ttsHealth = { status: 'embedded', detail: overrides.tts.name };
    } else {
      const built = await allAvailable<TextToSpeech>(
        'TTS_PROVIDERS',
        settings.ttsProviders,
        TTS,
        settings,
        log,
        keys,
      );
      if (built.length === 0) {
        throw new NoProviderError(
          `no speech synthesizer could be loaded (TTS_PROVIDERS: ${settings.ttsProviders.join(', ')}); ` +
            'the reasons are logged above. Run scripts/setup.sh',
        );
      }
      owned.push(...built.map((b) => b.value));
      ttsChain = built.map((b) => b.value);
      ttsHealth = chainHealth(built);
    }

    const { SileroVadModel } = await import('./vad/silero.js');
    const vad = await SileroVadModel.load();
    owned.push(vad);

    let sttChain: SpeechToText[];
    let sttHealth: ProviderHealth;
    if (overrides.stt !== undefined) {
      sttChain = overrides.stt ? [overrides.stt] : [];
      sttHealth = overrides.stt
        ? { status: 'embedded', detail: overrides.stt.name }
        : { status: 'disabled', detail: 'calls are not heard' };
    } else {
      const built = await allAvailable<SpeechToText>(
        'STT_PROVIDERS',
        settings.sttProviders,
        STT,
        settings,
        log,
        keys,
      );
      if (built.length > 0) {
        owned.push(...built.map((b) => b.value));
        sttChain = built.map((b) => b.value);
        sttHealth = chainHealth(built);
      } else {
        sttChain = [];
        log.error(
          { tried: settings.sttProviders },
          'no speech recognizer could be loaded: calls will not be heard. Run scripts/setup.sh',
        );
        sttHealth = { status: 'disabled', detail: 'no speech recognizer loaded: calls are not heard' };
      }
    }
    const stt = sttChain[0];
    const tts = ttsChain[0]!;

    let realtime: OpenAiSettings | undefined;
    let realtimeHealth: ProviderHealth | undefined;
    if (settings.openai && openaiCheck) {
      const verdict = await openaiCheck;
      if (verdict.ok || !verdict.rejected) {
        realtime = settings.openai;
        realtimeHealth = { status: 'up', detail: settings.openai.realtimeModel };
        if (!verdict.ok)
          log.warn({ vendor: 'openai' }, `${verdict.reason}; kept: calls fall back if it stays so`);
      } else {
        log.error(
          { vendor: 'openai' },
          `${verdict.reason}: Realtime calls run on the pipeline instead, and a brain on this key is the rules brain`,
        );
        realtimeHealth = { status: 'disabled', detail: 'OPENAI_API_KEY was refused' };
      }
    }

    let llm: ChatModel | undefined;
    // A brain on the key OpenAI just refused would fail every turn: the rules answer instead.
    const llmKeyRefused =
      settings.llm !== undefined &&
      realtimeHealth?.status === 'disabled' &&
      settings.llm.apiKey === settings.openai?.apiKey;
    if (settings.llm && !llmKeyRefused) {
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
      {
        stt: sttChain.map((p) => p.name).join(',') || 'none',
        tts: ttsChain.map((p) => p.name).join(','),
        llm: llm?.name ?? 'rules',
        embedder: embedder.name,
      },
      'providers ready',
    );
    let closed = false;
    return {
      stt,
      sttChain,
      tts,
      ttsChain,
      vad,
      llm,
      embedder,
      realtime,
      health: () => ({
        stt: sttHealth,
        tts: ttsHealth,
        ...(realtimeHealth ? { realtime: realtimeHealth } : {}),
      }),
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

/** One line for /health: the chain in order; 'up' when calls start on a cloud provider. */
function chainHealth(built: ReadonlyArray<{ name: string; offline: boolean }>): ProviderHealth {
  return { status: built[0]!.offline ? 'embedded' : 'up', detail: built.map((b) => b.name).join(' > ') };
}

/**
 * Every one of `names` that builds, in order (each failure logged with its reason; the list may be
 * empty). Exported for tests of the walk; buildProviders is the way in.
 */
export async function allAvailable<T>(
  setting: string,
  names: readonly string[],
  table: Readonly<Record<string, Entry<T>>>,
  settings: ProviderSettings,
  log: Logger,
  keys: KeyChecks = keyChecks(settings, log),
): Promise<Array<{ name: string; offline: boolean; value: T & { close(): Promise<void> } }>> {
  const built: Array<{ name: string; offline: boolean; value: T & { close(): Promise<void> } }> = [];
  for (const name of names) {
    const entry = table[name];
    if (!entry) continue; // config.ts refuses unknown names; nothing to build
    try {
      built.push({ name, offline: entry.offline, value: await entry.create(settings, log, keys) });
    } catch (err) {
      log.warn(
        { provider: name, reason: err instanceof Error ? err.message : String(err) },
        `${setting}: ${name} could not be loaded; calls go on without it`,
      );
    }
  }
  if (built.length > 0 && built.every((b) => !b.offline)) {
    log.warn({ setting }, `${setting} has no offline provider last: a cloud outage leaves calls without one`);
  }
  return built;
}
