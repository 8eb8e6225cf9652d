import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDomainLm } from '../../../src/providers/stt/domain-lm.js';
import {
  DEBIAN_EN_US_MODEL_DIR,
  POCKETSPHINX_ADDON_PATH,
  debianEnUsModel,
  loadPocketSphinxAddon,
  type DecoderHandle,
  type PocketSphinxAddon,
} from '../../../src/providers/stt/pocketsphinx-addon.js';
import { missingSpeechTools, synthesize } from './support/callers.js';

const missing = [
  ...(existsSync(POCKETSPHINX_ADDON_PATH) ? [] : ['the built addon (scripts/build-native.sh)']),
  ...(existsSync(DEBIAN_EN_US_MODEL_DIR) ? [] : ['pocketsphinx-en-us']),
  ...missingSpeechTools(['festival']),
];

/** A tiny dictionary: enough for the two models below, and not "rheem". */
const DICT = [
  'yes Y EH S',
  'no N OW',
  'that DH AE T',
  "that's DH AE T S",
  'is IH Z',
  'right R AY T',
  'not N AA T',
  'what W AH T',
  'are AA R',
  'your Y AO R',
  'hours AW ER Z',
  'ours AW ER Z',
  'open OW P AH N',
];

describe.skipIf(missing.length > 0)('PocketSphinx addon: named searches and N-best', () => {
  let ps: PocketSphinxAddon;
  let dir: string;
  let decoder: DecoderHandle;
  let yesNoLm: string;
  let yes: Int16Array;

  const decode = (pcm: Int16Array, nBest = 0) => {
    ps.start(decoder, true);
    ps.process(decoder, pcm, true);
    return ps.end(decoder, false, nBest);
  };

  beforeAll(async () => {
    ps = loadPocketSphinxAddon();
    dir = await mkdtemp(join(tmpdir(), 'addon-test-'));
    const write = async (name: string, text: string) => {
      const path = join(dir, name);
      await writeFile(path, text);
      return path;
    };
    const dict = await write('small.dict', DICT.join('\n') + '\n');
    const open = await write('open.arpa', buildDomainLm(['what are your hours', 'are you open']).arpa);
    yesNoLm = await write(
      'yes-no.arpa',
      buildDomainLm(['yes', 'no', "yes that's right", 'no that is not right', 'that is right']).arpa,
    );
    decoder = ps.create(['-hmm', debianEnUsModel().hmm, '-dict', dict, '-lm', open]);
    // festival's ked voice at 16 kHz: a clear caller.
    yes = synthesize({ name: 'festival ked', engine: 'festival', voice: 'ked_diphone' }, "yes that's right");
  });
  afterAll(async () => {
    if (decoder !== undefined) ps.free(decoder);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('starts on the -lm model, named _default', () => {
    expect(ps.search(decoder)).toBe('_default');
  });

  it('adds a search under a name without switching to it, and switches when told', () => {
    ps.setLm(decoder, 'yes-no', yesNoLm);
    expect(ps.search(decoder)).toBe('_default');
    ps.useSearch(decoder, 'yes-no');
    expect(ps.search(decoder)).toBe('yes-no');
    expect(decode(yes).text).toBe("yes that's right");
    ps.useSearch(decoder, '_default');
    // The open model has none of these words.
    expect(decode(yes).text).not.toMatch(/yes|right/);
  });

  it('refuses an unknown search, freeing the active one, and loading during an utterance', () => {
    expect(() => ps.useSearch(decoder, 'no-such-search')).toThrow(/no such search/);
    ps.useSearch(decoder, 'yes-no');
    expect(() => ps.unsetSearch(decoder, 'yes-no')).toThrow(/active/);
    ps.start(decoder);
    expect(() => ps.setLm(decoder, 'other', yesNoLm)).toThrow(/during an utterance/);
    expect(() => ps.useSearch(decoder, '_default')).toThrow(/during an utterance/);
    ps.end(decoder);
  });

  it('replaces a search under the same name, and frees one that is not active', () => {
    ps.setLm(decoder, 'spare', yesNoLm);
    ps.setLm(decoder, 'spare', yesNoLm);
    ps.useSearch(decoder, 'yes-no');
    ps.unsetSearch(decoder, 'spare');
    expect(() => ps.useSearch(decoder, 'spare')).toThrow(/no such search/);
  });

  it('adds only the words the dictionary lacks', () => {
    expect(
      ps.addWords(decoder, [
        ['rheem', 'R IY M'],
        ['yes', 'Y EH S'],
      ]),
    ).toBe(1);
    expect(ps.addWords(decoder, [['rheem', 'R IY M']])).toBe(0);
    expect(() => ps.addWords(decoder, [['bogus', 'QQ ZZ']])).toThrow(/could not add word/);
  });

  it('replaces the dictionary, rebuilding the searches, without touching their models', async () => {
    const bigger = join(dir, 'bigger.dict');
    await writeFile(bigger, [...DICT, 'kohler K OW L ER'].join('\n') + '\n');
    ps.loadDict(decoder, bigger);
    ps.useSearch(decoder, 'yes-no');
    expect(decode(yes).text).toBe("yes that's right");
    expect(() => ps.loadDict(decoder, join(dir, 'missing.dict'))).toThrow(/could not load dictionary/);
  });

  it('returns up to n other distinct readings, without the best', () => {
    ps.useSearch(decoder, 'yes-no');
    const r = decode(yes, 4);
    expect(r.nbest).toBeDefined();
    expect(r.nbest!.length).toBeLessThanOrEqual(4);
    expect(r.nbest).not.toContain(r.text);
    expect(new Set(r.nbest).size).toBe(r.nbest!.length);
    expect(decode(yes, 0).nbest).toBeUndefined();
  });
});
