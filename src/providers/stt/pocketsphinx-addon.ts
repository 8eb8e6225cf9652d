import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Opaque decoder handle owned by the addon; valid only in the thread that created it. */
export type DecoderHandle = { readonly __brand: 'PocketSphinxDecoder' };

export interface EndResult {
  readonly text: string;
  /** Path score (log domain, larger is better); only comparable within one utterance. */
  readonly score: number;
  /** Frames (10 ms) decoded in the utterance. */
  readonly frames: number;
  /** Posterior probability of the best path, 0..1, when asked for and a hypothesis exists. */
  readonly prob?: number;
  /** Other distinct readings, best first (the best excluded), when asked for. */
  readonly nbest?: readonly string[];
}

/** The surface of native/pocketsphinx (src/addon.c). */
export interface PocketSphinxAddon {
  /** PocketSphinx command-line pairs, e.g. ['-hmm', dir, '-lm', file, '-dict', file]. */
  create(args: readonly string[]): DecoderHandle;
  /** newStream: also reset the noise-floor estimate kept across utterances. */
  start(decoder: DecoderHandle, newStream?: boolean): void;
  /** Feeds 16-bit samples at the decoder's -samprate; returns frames decoded so far. */
  process(decoder: DecoderHandle, samples: Int16Array, fullUtterance?: boolean): number;
  hyp(decoder: DecoderHandle): string;
  /** nBest: how many other distinct readings to return in `nbest` (0: none). */
  end(decoder: DecoderHandle, withProb?: boolean, nBest?: number): EndResult;
  /** Adds (or replaces) an n-gram search under `name`; not made active. Not during an utterance. */
  setLm(decoder: DecoderHandle, name: string, path: string): void;
  /** Adds (or replaces) a JSGF grammar search under `name`; not made active. */
  setJsgf(decoder: DecoderHandle, name: string, path: string): void;
  /** Makes `name` the search of the next utterance ('_default' is the -lm model). */
  useSearch(decoder: DecoderHandle, name: string): void;
  /** Frees a search that is not the active one. */
  unsetSearch(decoder: DecoderHandle, name: string): void;
  /** The active search's name. */
  search(decoder: DecoderHandle): string;
  /**
   * Adds words ([word, phones]) the dictionary lacks; returns how many were added. This library
   * version also puts each new word into every loaded n-gram search (uniform weight): to give
   * one search its words without leaking them into the others, use loadDict.
   */
  addWords(decoder: DecoderHandle, entries: ReadonlyArray<readonly [string, string]>): number;
  /** Replaces the pronunciation dictionary (fillers kept) and rebuilds every search for it. */
  loadDict(decoder: DecoderHandle, path: string): void;
  getCmn(decoder: DecoderHandle): Float32Array;
  setCmn(decoder: DecoderHandle, mean: Float32Array): void;
  free(decoder: DecoderHandle): void;
  /** CPU time of the calling thread (ms). */
  threadCpuMs(): number;
}

/** Debian's packages that the addon builds against and runs with. */
export const POCKETSPHINX_APT_PACKAGES = [
  'libpocketsphinx3',
  'libpocketsphinx-dev',
  'libsphinxbase-dev',
  'pocketsphinx-en-us',
] as const;

/** native/pocketsphinx, found from here in both src/ (tsx, vitest) and dist/ (built). */
export const POCKETSPHINX_NATIVE_DIR = fileURLToPath(
  new URL('../../../native/pocketsphinx/', import.meta.url),
);
export const POCKETSPHINX_ADDON_PATH = join(POCKETSPHINX_NATIVE_DIR, 'build', 'Release', 'pocketsphinx.node');

/** Where pocketsphinx-en-us puts the US English model. */
export const DEBIAN_EN_US_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';

export interface ModelPaths {
  /** Acoustic model folder. */
  readonly hmm: string;
  /** Pronunciation dictionary. */
  readonly dict: string;
  /** N-gram language model (ARPA or binary). */
  readonly lm: string;
}

export function debianEnUsModel(dir = DEBIAN_EN_US_MODEL_DIR): ModelPaths {
  return {
    hmm: join(dir, 'en-us'),
    dict: join(dir, 'cmudict-en-us.dict'),
    lm: join(dir, 'en-us.lm.bin'),
  };
}

const SETUP_HINT =
  `install Debian's ${POCKETSPHINX_APT_PACKAGES.join(' ')} ` +
  '(bash scripts/setup-debian.sh), then build the addon (bash scripts/build-native.sh)';

export class PocketSphinxUnavailableError extends Error {
  override readonly name = 'PocketSphinxUnavailableError';
}

/** Throws PocketSphinxUnavailableError when the addon has not been built. */
export function assertAddonBuilt(path = POCKETSPHINX_ADDON_PATH): void {
  if (!existsSync(path)) {
    throw new PocketSphinxUnavailableError(`PocketSphinx addon not built (no ${path}): ${SETUP_HINT}`);
  }
}

/** The error for an addon that exists but would not load (e.g. libpocketsphinx3 missing). */
export function addonLoadError(path: string, cause: unknown): PocketSphinxUnavailableError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new PocketSphinxUnavailableError(
    `PocketSphinx addon at ${path} did not load (${why}): ${SETUP_HINT}`,
    { cause },
  );
}

/** Loads the addon in this thread, or throws PocketSphinxUnavailableError saying what to install. */
export function loadPocketSphinxAddon(path = POCKETSPHINX_ADDON_PATH): PocketSphinxAddon {
  assertAddonBuilt(path);
  try {
    return createRequire(import.meta.url)(path) as PocketSphinxAddon;
  } catch (err) {
    throw addonLoadError(path, err);
  }
}

/** Throws PocketSphinxUnavailableError when a model file is missing (the library would only log). */
export function checkModel(paths: ModelPaths): void {
  const missing = [paths.hmm, paths.dict, paths.lm].filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new PocketSphinxUnavailableError(
      `PocketSphinx model files missing (${missing.join(', ')}): ${SETUP_HINT}`,
    );
  }
}
