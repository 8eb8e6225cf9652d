import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenize } from '../../../src/providers/stt/domain-lm.js';
import { momentPhrases } from '../../../src/providers/stt/moments/index.js';
import {
  PocketSphinxStt,
  PocketSphinxUnavailableError,
  RECEPTIONIST_PHRASES,
  createPocketSphinxStt,
  type SttEvent,
  type SttStream,
} from '../../../src/providers/stt/index.js';
import { DEFAULT_DECODER_SETTINGS } from '../../../src/providers/stt/pocketsphinx.js';
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

    const open = (signal = new AbortController().signal) => stt.stream({ track: 'inbound', signal });

    /** Reads a stream's events into a list as they come (the listener's for-await, in a test). */
    const collect = (stream: SttStream) => {
      const events: SttEvent[] = [];
      const done = (async () => {
        for await (const e of stream) events.push(e);
      })();
      const finals = async (n: number) => {
        await expect
          .poll(() => events.filter((e) => e.type === 'utterance-end').length, { timeout: 20_000 })
          .toBeGreaterThanOrEqual(n);
        return events.filter((e) => e.type === 'final').map((e) => (e as { text: string }).text);
      };
      return { events, done, finals };
    };

    const transcribe = async (pcm: Int16Array, chunk: number): Promise<string> => {
      const stream = open();
      const read = collect(stream);
      for (let i = 0; i < pcm.length; i += chunk) stream.push(pcm.subarray(i, i + chunk));
      stream.flush();
      const [text] = await read.finals(1);
      stream.close();
      return text!;
    };

    it('takes 8 kHz audio and ends turns by our VAD (no endpointing of its own)', () => {
      expect(stt.sampleRate).toBe(8000);
      expect(stt.capabilities.turnEnd).toBe('vad');
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

    it('one stream carries a call: each flush ends one utterance, events in order, same text every time', async () => {
      const stream = open();
      const read = collect(stream);
      for (let n = 0; n < 3; n++) {
        for (let i = 0; i < hours.length; i += 160) stream.push(hours.subarray(i, i + 160));
        stream.flush();
      }
      const finals = await read.finals(3);
      expect(finals).toHaveLength(3);
      expect(new Set(finals).size).toBe(1);
      expect(words(finals[0]!)).toContain('hours');
      // Per utterance: speech-started, interims, one final, utterance-end; never interleaved.
      const kinds = read.events.map((e) => e.type).filter((t) => t !== 'interim');
      expect(kinds).toEqual(Array(3).fill(['speech-started', 'final', 'utterance-end']).flat());
      expect(read.events.every((e) => e.track === 'inbound')).toBe(true);
      stream.close();
      await read.done;
    });

    it('an utterance begun while the previous one is still being finalised waits its turn in the events', async () => {
      const stream = open();
      const read = collect(stream);
      stream.push(hours);
      stream.flush();
      // The caller speaks again at once: the second utterance runs on another decoder meanwhile.
      for (let i = 0; i < hours.length; i += 160) stream.push(hours.subarray(i, i + 160));
      stream.flush();
      const finals = await read.finals(2);
      expect(finals[0]).toBe(finals[1]);
      const kinds = read.events.map((e) => e.type).filter((t) => t !== 'interim');
      expect(kinds).toEqual([
        'speech-started',
        'final',
        'utterance-end',
        'speech-started',
        'final',
        'utterance-end',
      ]);
      const firstEnd = read.events.findIndex((e) => e.type === 'utterance-end');
      expect(read.events.slice(0, firstEnd).filter((e) => e.type === 'speech-started')).toHaveLength(1);
      stream.close();
    });

    it('a flush with no audio since the last utterance gives an empty final', async () => {
      const stream = open();
      const read = collect(stream);
      stream.flush();
      expect(await read.finals(1)).toEqual(['']);
      stream.close();
    });

    it('offers interim transcripts while the caller speaks', async () => {
      const stream = open();
      const read = collect(stream);
      stream.push(hours);
      // Interims arrive from the worker asynchronously.
      await expect
        .poll(() => read.events.some((e) => e.type === 'interim' && e.text !== ''), { timeout: 5000 })
        .toBe(true);
      stream.flush();
      await read.finals(1);
      stream.close();
    });

    it('reports a confidence between 0 and 1 on the final, as its first alternative', async () => {
      const stream = open();
      const read = collect(stream);
      stream.push(hours);
      stream.flush();
      await read.finals(1);
      const final = read.events.find((e) => e.type === 'final') as Extract<SttEvent, { type: 'final' }>;
      expect(final.confidence).toBeGreaterThanOrEqual(0);
      expect(final.confidence).toBeLessThanOrEqual(1);
      expect(final.alternatives[0]).toEqual({ text: final.text, confidence: final.confidence });
      stream.close();
    });

    it("carries the recognizer's other distinct readings after the best (N-best), at most 4", async () => {
      const stream = open();
      const read = collect(stream);
      stream.push(hours);
      stream.flush();
      await read.finals(1);
      const final = read.events.find((e) => e.type === 'final') as Extract<SttEvent, { type: 'final' }>;
      const texts = final.alternatives.map((a) => a.text);
      expect(texts.length).toBeGreaterThan(1);
      expect(texts.length).toBeLessThanOrEqual(5);
      expect(new Set(texts).size).toBe(texts.length);
      stream.close();
    });

    it('abort mid-utterance ends the events without a final, and the provider keeps working', async () => {
      const ac = new AbortController();
      const stream = open(ac.signal);
      const read = collect(stream);
      stream.push(hours.subarray(0, 4000));
      ac.abort();
      stream.push(hours); // ignored once aborted
      stream.flush();
      stream.close();
      await read.done;
      expect(read.events.some((e) => e.type === 'final')).toBe(false);
      expect(words(await transcribe(hours, 160))).toContain('hours');
    });

    it('a stream opened on an aborted signal produces nothing', async () => {
      const stream = open(AbortSignal.abort());
      const read = collect(stream);
      stream.push(hours);
      stream.flush();
      await read.done;
      expect(read.events).toEqual([]);
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
        const stream = general.stream({ track: 'inbound', signal: new AbortController().signal });
        const read = collect(stream);
        stream.push(hours);
        stream.flush();
        const [text] = await read.finals(1);
        stream.close();
        expect(words(text!)).toContain('what');
      } finally {
        await general.close();
      }
    });

    it("ships without the flat second pass, and brings the library's settings back when asked", async () => {
      expect(DEFAULT_DECODER_SETTINGS).toMatchObject({ fwdflat: 'no' });
      const flat = await createPocketSphinxStt({ decoderSettings: { fwdflat: 'yes', lw: '6.5' } });
      try {
        const stream = flat.stream({ track: 'inbound', signal: new AbortController().signal });
        const read = collect(stream);
        stream.push(hours);
        stream.flush();
        const [text] = await read.finals(1);
        stream.close();
        expect(words(text!)).toContain('hours');
      } finally {
        await flat.close();
      }
    });

    it('rejects a bad decoder setting at create', async () => {
      await expect(PocketSphinxStt.create({ decoderSettings: { nosuchsetting: '1' } })).rejects.toThrow(
        /pocketsphinx/i,
      );
    });

    describe('moments and vocabularies', () => {
      const caller = { name: 'festival ked', engine: 'festival', voice: 'ked_diphone' } as const;
      const say = (text: string) => throughPhoneLine(synthesize(caller, text));

      /** Decodes utterances on one stream in turn, each after its expect() (if any). */
      const hear = async (
        stream: SttStream,
        turns: ReadonlyArray<{ pcm: Int16Array; expect?: Parameters<SttStream['expect']>[0] }>,
      ): Promise<string[]> => {
        const read = collect(stream);
        const texts: string[] = [];
        for (const [i, t] of turns.entries()) {
          if (t.expect) stream.expect(t.expect);
          stream.push(t.pcm);
          stream.flush();
          texts.push((await read.finals(i + 1))[i]!);
        }
        stream.close();
        return texts;
      };

      it.each([
        ['name', 'my name is jennifer rodriguez', 'jennifer rodriguez'],
        [
          'phone',
          'seven oh four nine one five three three two one',
          'seven oh four nine one five three three two one',
        ],
        ['yes-no', 'no that is not right', 'no that is not right'],
        ['date-time', 'next tuesday at two in the afternoon', 'tuesday at two'],
      ] as const)('after expect(%s) hears an easy %s', async (moment, sentence, heard) => {
        const [text] = await hear(open(), [{ pcm: say(sentence), expect: moment }]);
        expect(words(text!).join(' ')).toContain(heard);
      });

      it('a narrow moment still hears an emergency', async () => {
        const [text] = await hear(open(), [{ pcm: say('there is water everywhere'), expect: 'phone' }]);
        expect(words(text!)).toContain('water');
      });

      it('a moment stays until told, then the open model is back', async () => {
        const yesNo = new Set(momentPhrases('yes-no').flatMap(tokenize));
        const texts = await hear(open(), [
          { pcm: hours, expect: 'yes-no' },
          { pcm: hours },
          { pcm: hours, expect: 'open' },
        ]);
        for (const t of texts.slice(0, 2)) expect(words(t).every((w) => yesNo.has(w))).toBe(true);
        expect(words(texts[2]!)).toContain('hours');
      });

      it('each decoder loads a moment once, on first need', async () => {
        const fresh = await createPocketSphinxStt();
        try {
          expect(fresh.usage().load).toBeUndefined();
          const stream = fresh.stream({ track: 'inbound', signal: new AbortController().signal });
          await hear(stream, [
            { pcm: hours, expect: 'name' },
            { pcm: hours },
            { pcm: hours, expect: 'open' },
          ]);
          expect(fresh.usage().load?.count).toBe(1);
        } finally {
          await fresh.close();
        }
      });

      it('vocabularies registered at once each keep their own words', async () => {
        const fresh = await createPocketSphinxStt();
        try {
          await Promise.all([
            fresh.useVocabulary('a', ['we install rheem water heaters']),
            fresh.useVocabulary('b', ['we install kohler water heaters']),
          ]);
          const openFor = (vocabulary: string) =>
            fresh.stream({ track: 'inbound', signal: new AbortController().signal, vocabulary });
          const [a] = await hear(openFor('a'), [{ pcm: say('do you install rheem water heaters') }]);
          const [b] = await hear(openFor('b'), [{ pcm: say('i have a kohler water heater') }]);
          expect(words(a!)).toContain('rheem');
          expect(words(b!)).toContain('kohler');
        } finally {
          await fresh.close();
        }
      });

      it("a stream opened with a business's vocabulary hears its words; a new version is reloaded", async () => {
        const fresh = await createPocketSphinxStt();
        try {
          const heaters = say('do you install rheem water heaters');
          const openFor = (vocabulary?: string) =>
            fresh.stream({ track: 'inbound', signal: new AbortController().signal, vocabulary });
          // "rheem" is in none of the built-in models.
          expect(vocabulary.has('rheem')).toBe(false);
          const [without] = await hear(openFor('acme'), [{ pcm: heaters }]);
          expect(words(without!)).not.toContain('rheem');

          await fresh.useVocabulary('acme', ['we install rheem water heaters', 'rheem']);
          expect(fresh.vocabularyVersion('acme')).toBe(1);
          const [withWords] = await hear(openFor('acme'), [{ pcm: heaters }]);
          expect(words(withWords!)).toContain('rheem');
          const [otherBusiness] = await hear(openFor('other'), [{ pcm: heaters }]);
          expect(words(otherBusiness!)).not.toContain('rheem');

          await fresh.useVocabulary('acme', ['we fix drains']);
          expect(fresh.vocabularyVersion('acme')).toBe(2);
          const loads = fresh.usage().load?.count ?? 0;
          const [replaced] = await hear(openFor('acme'), [{ pcm: heaters }]);
          expect(fresh.usage().load?.count).toBe(loads + 1);
          expect(words(replaced!)).not.toContain('rheem');
        } finally {
          await fresh.close();
        }
      });
    });
  },
);
