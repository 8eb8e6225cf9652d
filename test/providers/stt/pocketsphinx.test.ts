import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenize } from '../../../src/providers/stt/domain-lm.js';
import {
  PocketSphinxStt,
  PocketSphinxUnavailableError,
  RECEPTIONIST_PHRASES,
  createPocketSphinxStt,
} from '../../../src/providers/stt/index.js';
import {
  DEBIAN_EN_US_MODEL_DIR,
  POCKETSPHINX_ADDON_PATH,
} from '../../../src/providers/stt/pocketsphinx-addon.js';
import { missingSpeechTools, synthesize, throughPhoneLine } from './support/callers.js';
import { words } from './support/wer.js';

const missing = [
  ...(existsSync(POCKETSPHINX_ADDON_PATH) ? [] : ['the built addon (scripts/build-native.sh)']),
  ...(existsSync(DEBIAN_EN_US_MODEL_DIR) ? [] : ['pocketsphinx-en-us']),
  ...missingSpeechTools(['espeak-ng', 'festival']),
];
const vocabulary = new Set(RECEPTIONIST_PHRASES.flatMap(tokenize));
const reason = `skipped: missing ${missing.join(', ')} (scripts/setup-debian.sh)`;
if (missing.length > 0) console.warn(`pocketsphinx tests ${reason}`);

it('names the Debian packages when the addon is missing', async () => {
  const err = await PocketSphinxStt.create({ addonPath: '/nonexistent/pocketsphinx.node' }).catch(
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PocketSphinxUnavailableError);
  expect((err as Error).message).toMatch(/libpocketsphinx-dev.*pocketsphinx-en-us/);
});

describe.skipIf(missing.length > 0)(
  'PocketSphinx provider as shipped (8 kHz phone audio, domain model)',
  () => {
    let stt: PocketSphinxStt;
    // A clear caller over the phone path: espeak-ng, 8 kHz mu-law and back.
    let hours: Int16Array;

    beforeAll(async () => {
      stt = await createPocketSphinxStt();
      hours = throughPhoneLine(
        // festival's ked voice: a clear caller (espeak-ng voices are recognised far worse, 31-54% WER).
        synthesize({ name: 'festival ked', engine: 'festival', voice: 'ked_diphone' }, 'what are your hours'),
      );
    });
    afterAll(async () => {
      await stt?.close();
    });

    const transcribe = async (pcm: Int16Array, chunk: number): Promise<string> => {
      const stream = stt.start(new AbortController().signal);
      for (let i = 0; i < pcm.length; i += chunk) stream.push(pcm.subarray(i, i + chunk));
      return (await stream.finish()).text;
    };

    it('takes 8 kHz audio', () => {
      expect(stt.sampleRate).toBe(8000);
    });

    it('hears the key word of a clear caller', async () => {
      const text = await transcribe(hours, 160);
      expect(words(text)).toContain('hours');
    });

    it('gives the same final transcript pushed in chunks as pushed at once', async () => {
      const whole = await transcribe(hours, hours.length);
      expect(await transcribe(hours, 160)).toBe(whole);
      expect(await transcribe(hours, 37)).toBe(whole);
    });

    it('offers a partial hypothesis while the caller speaks', async () => {
      const stream = stt.start(new AbortController().signal);
      stream.push(hours);
      // The partial arrives from the worker asynchronously.
      await expect.poll(() => stream.partial(), { timeout: 5000 }).not.toBe('');
      await stream.finish();
    });

    it('reports a confidence between 0 and 1', async () => {
      const stream = stt.start(new AbortController().signal);
      stream.push(hours);
      const { confidence } = await stream.finish();
      expect(confidence).toBeGreaterThanOrEqual(0);
      expect(confidence).toBeLessThanOrEqual(1);
    });

    it('close after abort frees the stream, and the provider keeps working', async () => {
      const ac = new AbortController();
      const stream = stt.start(ac.signal);
      stream.push(hours.subarray(0, 4000));
      ac.abort();
      stream.push(hours); // ignored once aborted
      stream.close();
      stream.close();
      await expect(stream.finish()).rejects.toThrow();
      expect(words(await transcribe(hours, 160))).toContain('hours');
    });

    it('a stream started on an aborted signal produces nothing', async () => {
      const stream = stt.start(AbortSignal.abort());
      stream.push(hours);
      expect(stream.partial()).toBe('');
      await expect(stream.finish()).rejects.toThrow();
    });

    it('runs overlapping streams independently', async () => {
      const [a, b] = await Promise.all([transcribe(hours, 160), transcribe(hours, 320)]);
      expect(a).toBe(b);
    });

    it('recognises only words of the domain phrases', async () => {
      const text = await transcribe(hours, 160);
      expect(words(text).length).toBeGreaterThan(0);
      expect(words(text).every((w) => vocabulary.has(w))).toBe(true);
    });

    it('also runs the general English model', async () => {
      const general = await PocketSphinxStt.create();
      try {
        const stream = general.start(new AbortController().signal);
        stream.push(hours);
        expect(words((await stream.finish()).text)).toContain('what');
      } finally {
        await general.close();
      }
    });

    it('rejects a bad decoder setting at create', async () => {
      await expect(PocketSphinxStt.create({ decoderSettings: { nosuchsetting: '1' } })).rejects.toThrow(
        /pocketsphinx/i,
      );
    });
  },
);
