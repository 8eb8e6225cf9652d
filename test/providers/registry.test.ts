import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import {
  NoProviderError,
  STT_PROVIDER_NAMES,
  TTS_PROVIDER_NAMES,
  buildProviders,
  allAvailable,
  type Entry,
  type ProviderSettings,
} from '../../src/providers/registry.js';
import type { TextToSpeech } from '../../src/providers/tts/tts.js';
import {
  DEBIAN_EN_US_MODEL_DIR,
  POCKETSPHINX_ADDON_PATH,
} from '../../src/providers/stt/pocketsphinx-addon.js';
import type { Logger } from '../../src/shared/index.js';

/** Keeps what was logged, by level. */
function memoryLog() {
  const lines: Array<{ level: string; obj: object; msg: string | undefined }> = [];
  const at =
    (level: string) =>
    (obj: object, msg?: string): void =>
      void lines.push({ level, obj, msg });
  const log: Logger = { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
  return { log, lines };
}

const offline = (over: Partial<ProviderSettings> = {}): ProviderSettings => ({
  sttProviders: ['pocketsphinx'],
  ttsProviders: ['flite'],
  llm: undefined,
  embeddings: undefined,
  ...over,
});

describe('STT_PROVIDERS and TTS_PROVIDERS', () => {
  it('default to the offline engines', () => {
    const config = loadConfig({});
    expect(config.sttProviders).toEqual(['pocketsphinx']);
    expect(config.ttsProviders).toEqual(['flite']);
  });

  it('read an ordered list, spaces and case forgiven, repeats dropped', () => {
    expect(loadConfig({ STT_PROVIDERS: ' PocketSphinx , pocketsphinx' }).sttProviders).toEqual([
      'pocketsphinx',
    ]);
  });

  it.each([
    [
      'STT_PROVIDERS',
      'whisper,pocketsphinx',
      /STT_PROVIDERS: names unknown whisper \(known: pocketsphinx, deepgram\)/,
    ],
    ['TTS_PROVIDERS', 'polly', /TTS_PROVIDERS: names unknown polly \(known: flite, elevenlabs, deepgram\)/],
    ['STT_PROVIDERS', ' , ', /STT_PROVIDERS: lists no provider \(known: pocketsphinx, deepgram\)/],
  ])('%s=%j stops the start, naming the setting and the known names', (name, value, message) => {
    const err = (() => {
      try {
        loadConfig({ [name]: value });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(message);
  });

  it('know exactly the names the registry can build', () => {
    expect(STT_PROVIDER_NAMES).toEqual(['pocketsphinx', 'deepgram']);
    expect(TTS_PROVIDER_NAMES).toEqual(['flite', 'elevenlabs', 'deepgram']);
  });
});

describe('the fallback walk', () => {
  const tts = (name: string): TextToSpeech & { close(): Promise<void> } => ({
    name,
    sampleRate: 8000,
    // eslint-disable-next-line require-yield
    async *synthesize() {
      return;
    },
    close: async () => undefined,
  });
  const table: Record<string, Entry<TextToSpeech>> = {
    broken: {
      offline: true,
      create: async () => {
        throw new Error('libbroken.so: cannot open shared object file');
      },
    },
    working: { offline: true, create: async () => tts('working') },
  };

  it('a provider that fails to load is logged with its reason and left out; the rest keep their order', async () => {
    const { log, lines } = memoryLog();
    const built = await allAvailable(
      'TTS_PROVIDERS',
      ['working', 'broken', 'spare'],
      {
        ...table,
        spare: { offline: true, create: async () => tts('spare') },
      },
      offline(),
      log,
    );
    expect(built.map((b) => b.name)).toEqual(['working', 'spare']);
    expect(lines).toEqual([
      {
        level: 'warn',
        obj: { provider: 'broken', reason: 'libbroken.so: cannot open shared object file' },
        msg: 'TTS_PROVIDERS: broken could not be loaded; calls go on without it',
      },
    ]);
  });

  it('gives nothing when none loads, each failure logged', async () => {
    const { log, lines } = memoryLog();
    expect(await allAvailable('TTS_PROVIDERS', ['broken'], table, offline(), log)).toEqual([]);
    expect(lines.map((l) => l.msg)).toEqual([
      'TTS_PROVIDERS: broken could not be loaded; calls go on without it',
    ]);
  });

  it('warns when every provider of a list is a cloud one: an outage would leave calls without any', async () => {
    const { log, lines } = memoryLog();
    const built = await allAvailable(
      'TTS_PROVIDERS',
      ['cloud'],
      {
        cloud: { offline: false, create: async () => tts('cloud') },
      },
      offline(),
      log,
    );
    expect(built.map((b) => b.name)).toEqual(['cloud']);
    expect(lines.map((l) => l.msg)).toEqual([
      'TTS_PROVIDERS has no offline provider last: a cloud outage leaves calls without one',
    ]);
  });
});

describe('buildProviders', () => {
  it('without any speech synthesizer the start fails, naming TTS_PROVIDERS', async () => {
    const { log } = memoryLog();
    await expect(buildProviders(offline({ ttsProviders: [] }), { log })).rejects.toThrow(NoProviderError);
    await expect(buildProviders(offline({ ttsProviders: [] }), { log })).rejects.toThrow(/TTS_PROVIDERS/);
  });

  it('runs without listening when the recognizer is turned off, and says so for /health', async () => {
    const { log } = memoryLog();
    const providers = await buildProviders(offline(), { log, overrides: { stt: null } });
    try {
      expect(providers.stt).toBeUndefined();
      expect(providers.health().stt).toEqual({ status: 'disabled', detail: 'calls are not heard' });
      expect(providers.health().tts).toEqual({ status: 'embedded', detail: 'flite' });
      expect(providers.llm).toBeUndefined();
      expect(providers.embedder.name).toMatch(/^hashing/);
    } finally {
      await providers.close();
    }
  });

  it('an LLM and embeddings endpoint in the settings give the OpenAI-compatible clients', async () => {
    const { log } = memoryLog();
    const providers = await buildProviders(
      offline({
        llm: { baseUrl: 'http://127.0.0.1:9/v1', apiKey: undefined, model: 'llama3.2', timeoutMs: 1000 },
        embeddings: { baseUrl: 'http://127.0.0.1:9/v1', apiKey: undefined, model: 'nomic', dimensions: 64 },
      }),
      { log, overrides: { stt: null } },
    );
    try {
      expect(providers.llm?.name).toBe('openai-chat:llama3.2');
      expect(providers.embedder.dimensions).toBe(64);
    } finally {
      await providers.close();
    }
  });

  const pocketsphinxMissing = !existsSync(POCKETSPHINX_ADDON_PATH) || !existsSync(DEBIAN_EN_US_MODEL_DIR);
  it.skipIf(pocketsphinxMissing)(
    'builds the configured offline recognizer and synthesizer, reports them, and closes them',
    async () => {
      const { log, lines } = memoryLog();
      const providers = await buildProviders(offline(), { log });
      expect(providers.stt?.name).toBe('pocketsphinx');
      expect(providers.tts.name).toMatch(/flite/);
      expect(providers.health()).toEqual({
        stt: { status: 'embedded', detail: 'pocketsphinx' },
        tts: { status: 'embedded', detail: 'flite' },
      });
      expect(lines.filter((l) => l.level !== 'info' && l.level !== 'debug')).toEqual([]);
      await providers.close();
      // Closed for real: the recognizer takes no new call.
      expect(() => providers.stt!.stream({ track: 'inbound', signal: new AbortController().signal })).toThrow(
        /closed/,
      );
      await providers.close(); // twice is harmless
    },
    60_000,
  );
});

describe('buildProviders with cloud vendors', () => {
  it('keeps every listed provider that loads, in failover order, and shows the chain on /health', async () => {
    const { startFakeDeepgram } = await import('../support/fake-deepgram.js');
    const dg = await startFakeDeepgram();
    const { log } = memoryLog();
    const deepgram = {
      apiKey: dg.apiKey,
      baseUrl: dg.baseUrl,
      sttModel: 'nova-3',
      ttsModel: 'aura-2-thalia-en',
    };
    const providers = await buildProviders(offline({ ttsProviders: ['deepgram', 'flite'], deepgram }), {
      log,
      overrides: { stt: null },
    });
    try {
      expect(providers.ttsChain.map((p) => p.name)).toEqual(['deepgram', expect.stringMatching(/flite/)]);
      expect(providers.tts.name).toBe('deepgram');
      expect(providers.health().tts).toEqual({ status: 'up', detail: 'deepgram > flite' });
    } finally {
      await providers.close();
      await dg.close();
    }
  });

  it('a key the vendor refuses at start leaves its provider out, with the vendor’s words in the log', async () => {
    const { startFakeDeepgram } = await import('../support/fake-deepgram.js');
    const dg = await startFakeDeepgram();
    const { log, lines } = memoryLog();
    const deepgram = {
      apiKey: 'not-the-key',
      baseUrl: dg.baseUrl,
      sttModel: 'nova-3',
      ttsModel: 'aura-2-thalia-en',
    };
    const providers = await buildProviders(offline({ ttsProviders: ['deepgram', 'flite'], deepgram }), {
      log,
      overrides: { stt: null },
    });
    try {
      expect(providers.ttsChain.map((p) => p.name)).toEqual([expect.stringMatching(/flite/)]);
      const refused = lines.find((l) => l.msg?.startsWith('TTS_PROVIDERS: deepgram could not be loaded'));
      expect((refused?.obj as { reason: string }).reason).toMatch(
        /DEEPGRAM_API_KEY was refused: HTTP 401: .*Invalid credentials/,
      );
      expect(JSON.stringify(lines)).not.toContain('not-the-key');
    } finally {
      await providers.close();
      await dg.close();
    }
  });
});
