import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { BandFill, type BandFillOptions } from './band-fill.js';
import { buildDomainLm } from './domain-lm.js';
import { momentPhrases } from './moments/index.js';
import { RECEPTIONIST_PHRASES } from './receptionist-phrases.js';
import {
  type EndResult,
  type ModelPaths,
  POCKETSPHINX_ADDON_PATH,
  POCKETSPHINX_NATIVE_DIR,
  addonLoadError,
  assertAddonBuilt,
  checkModel,
  debianEnUsModel,
} from './pocketsphinx-addon.js';
import { EventChannel } from './event-channel.js';
import type {
  SpeechToText,
  SttAlternative,
  SttCapabilities,
  SttEvent,
  SttStream,
  SttStreamOptions,
  Track,
} from './stt.js';
import { EXPECTED_SPEECH, type ExpectedSpeech, type Logger } from '../../shared/index.js';

export interface PocketSphinxOptions {
  /** Acoustic model, dictionary and language model. Default: Debian's pocketsphinx-en-us. */
  readonly model?: ModelPaths;
  /**
   * Extra PocketSphinx settings, name without the dash: e.g. { jsgf: '/path/grammar.gram' }
   * (replaces the n-gram model), { lw: '10' }. Checked by the library at start. Laid over
   * DEFAULT_DECODER_SETTINGS (e.g. { fwdflat: 'yes' } brings the flat pass back).
   */
  readonly decoderSettings?: Readonly<Record<string, string>>;
  /**
   * Rate of the audio pushed in. 8000 (default, phone audio): band-filled to 16 kHz here.
   * 16000: full-band audio passed straight to the model.
   */
  readonly inputRate?: 8000 | 16000;
  readonly bandFill?: BandFillOptions;
  /**
   * Sentences callers of this business say. When given, a small trigram model built from them
   * replaces the general English one (words outside them cannot be recognised). See
   * RECEPTIONIST_PHRASES for a generic set to start from.
   */
  readonly domainPhrases?: readonly string[];
  /** Worker threads decoding; default 1 (one decoder uses ~0.1-0.2 of a core). */
  readonly threads?: number;
  /** Decoders made per thread at start; later ones are made on demand (~0.3 s each). */
  readonly warmDecoders?: number;
  /**
   * Cepstral mean each stream starts from (13 values). Default: PHONE_CMN_INIT for 8 kHz
   * input, the model's own (its feat.params, which overrides a -cmninit setting) for 16 kHz.
   */
  readonly cmnInit?: readonly number[];
  /**
   * Restart the channel estimates (cepstral mean, noise floor) at every stream, so a reused
   * decoder does not carry one caller's line into the next and results do not depend on what
   * the decoder heard before. Default true.
   */
  readonly resetChannel?: boolean;
  /** Ask for the partial hypothesis after this much audio (ms). Default 200. */
  readonly partialEveryMs?: number;
  /** Compute a posterior confidence at the end of each utterance (a lattice pass). Default true. */
  readonly confidence?: boolean;
  /**
   * Other readings of each final besides the best (distinct texts from the lattice's N-best
   * list), carried in `final.alternatives` after the best. Default 4; 0 for none.
   */
  readonly alternatives?: number;
  /**
   * Narrow language models per moment (ExpectedSpeech other than 'open'), picked by
   * stream.expect(). Default true. Built at start, loaded by each decoder when first needed.
   */
  readonly moments?: boolean;
  readonly addonPath?: string;
  readonly logger?: Pick<Logger, 'warn' | 'debug'>;
}

/**
 * Starting cepstral mean for band-filled 8 kHz phone audio (default band fill): the running
 * mean after decoding 84 receptionist phrases (not the benchmark's sentences) in the seven
 * synthetic caller voices through the phone path. The model's own default (feat.params) was
 * measured on wideband audio; c0 alone is 14 units off on phone audio.
 */
export const PHONE_CMN_INIT: readonly number[] = [
  55.4, -1.7, 3.2, 6.8, -5.5, -1.5, -5.4, -5.6, -6.1, -0.9, 1.4, -0.3, -2.2,
];

/**
 * Search settings the provider starts every decoder with (under `decoderSettings`), chosen by
 * bench/stt-settings.bench.ts on the tuning voices through the phone path. No flat second pass:
 * on these small models it turned names into other spellings that sound the same (names spelt
 * right 36% -> 46%; heard right either way), moved nothing else, and cost ~30 ms of the final
 * pass per utterance. Language weight 8 in the first pass (library 6.5):
 * open-model word error 29.9% -> 29.0%. They are decoder-wide: this library version reads them
 * when a search is made, from the one configuration every search of a decoder shares.
 */
export const DEFAULT_DECODER_SETTINGS: Readonly<Record<string, string>> = { fwdflat: 'no', lw: '8' };

/** The pronunciation dictionary's lines by word (alternates like "read(2)" under "read"). */
async function readDictionary(dictPath: string): Promise<Map<string, string[]>> {
  const text = await readFile(dictPath, 'utf8');
  const entries = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const end = line.search(/[\s(]/);
    if (end <= 0) continue;
    const word = line.slice(0, end);
    const list = entries.get(word);
    if (list === undefined) entries.set(word, [line]);
    else list.push(line);
  }
  return entries;
}

/** Audio the decoder sees per second: the model runs at 16 kHz. */
const MODEL_RATE = 16000;

type Reply =
  | { seq: number; ok: true; value: unknown; busyMs: number; cpuMs: number }
  | { seq: number; ok: false; message: string; code?: string };

type Request =
  | { op: 'create'; id: number; args: string[]; cmn: number[] | undefined }
  | {
      op: 'load';
      id: number;
      name: string;
      lm: string;
      dict: string | undefined;
      drop: string | undefined;
    }
  | { op: 'start'; id: number; resetChannel: boolean; search: string }
  | { op: 'process'; id: number; samples: Int16Array; hyp: boolean }
  | { op: 'end'; id: number; prob: boolean; nbest: number }
  | { op: 'abort'; id: number }
  | { op: 'free'; id: number };

/** Worker time spent on one kind of request. */
export interface OpUsage {
  readonly count: number;
  /** Wall time in the worker (includes waiting for a core on a busy machine). */
  readonly wallMs: number;
  /** CPU time of the worker thread. */
  readonly cpuMs: number;
}

class PocketSphinxError extends Error {
  override readonly name = 'PocketSphinxError';
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** One worker thread and the decoders it owns. */
class DecoderHost {
  readonly #worker: Worker;
  readonly #pending = new Map<
    number,
    { op: Request['op']; resolve(v: unknown): void; reject(e: Error): void }
  >();
  #seq = 0;
  #failure: Error | undefined;
  /** Decoder ids made here and not in use. */
  readonly idle: number[] = [];
  /** Per decoder id: the searches it has loaded, slot -> search name (a name carries its version). */
  readonly searches = new Map<number, Map<string, string>>();
  /** Per decoder id: the version of the provider's dictionary it runs (absent: the first). */
  readonly dicts = new Map<number, number>();
  active = 0;
  /** Worker time per kind of request, for cost figures. */
  readonly usage = new Map<Request['op'], OpUsage>();

  constructor(addonPath: string, logger: Pick<Logger, 'warn' | 'debug'> | undefined) {
    this.#worker = new Worker(join(POCKETSPHINX_NATIVE_DIR, 'worker.mjs'), {
      workerData: { addonPath },
    });
    this.#worker.unref();
    this.#worker.on('message', (r: Reply) => {
      const p = this.#pending.get(r.seq);
      if (p === undefined) return;
      this.#pending.delete(r.seq);
      if (this.#pending.size === 0) this.#worker.unref();
      if (r.ok) {
        const u = this.usage.get(p.op) ?? { count: 0, wallMs: 0, cpuMs: 0 };
        this.usage.set(p.op, {
          count: u.count + 1,
          wallMs: u.wallMs + r.busyMs,
          cpuMs: u.cpuMs + r.cpuMs,
        });
        p.resolve(r.value);
      } else {
        p.reject(new PocketSphinxError(r.message, r.code));
      }
    });
    const fail = (err: Error) => {
      this.#failure ??= err;
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
    };
    this.#worker.on('error', (err) => {
      logger?.warn({ err }, 'pocketsphinx worker failed');
      fail(err);
    });
    this.#worker.on('exit', (code) => fail(new PocketSphinxError(`worker exited (${code})`)));
  }

  get alive(): boolean {
    return this.#failure === undefined;
  }

  call(req: Request): Promise<unknown> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      // Hold the process open only while work is in flight, so an idle provider that
      // nobody closed does not keep Node from exiting.
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(seq, { op: req.op, resolve, reject });
      this.#worker.postMessage({ ...req, seq });
    });
  }

  async terminate(): Promise<void> {
    this.#failure ??= new PocketSphinxError('provider closed');
    await this.#worker.terminate();
  }
}

/** A replaced vocabulary's files outlive it by this much (loads already queued may still read them). */
const RETIRE_AFTER_MS = 60_000;

/** The search PocketSphinx makes from -lm at start: the open model. */
const DEFAULT_SEARCH = '_default';

/**
 * A language model a decoder may run, under a slot (one per moment, one per vocabulary key).
 * A decoder holds one search per slot; a new version in the slot replaces the old.
 */
interface SearchSpec {
  readonly slot: string;
  /** The search's name in the decoder; unique per version. */
  readonly name: string;
  readonly lm: string;
  /**
   * The provider's dictionary version that has all the model's words (0: the first). A decoder
   * with an older one loads the newest before the model.
   */
  readonly dictVersion: number;
}

/** A business's vocabulary as registered by useVocabulary(). */
interface Vocabulary {
  readonly version: number;
  readonly search: SearchSpec;
}

const toArgs = (model: ModelPaths, settings: Readonly<Record<string, string>>): string[] => {
  const merged = new Map<string, string>([
    ['hmm', model.hmm],
    ['dict', model.dict],
    ['lm', model.lm],
  ]);
  for (const [k, v] of Object.entries(settings)) merged.set(k.replace(/^-/, ''), v);
  // A grammar or keyword search replaces the n-gram model; the library refuses both at once.
  if (merged.has('jsgf') || merged.has('kws') || merged.has('keyphrase') || merged.has('fsg')) {
    if (settings.lm === undefined) merged.delete('lm');
  }
  return [...merged].flatMap(([k, v]) => [`-${k}`, v]);
};

/**
 * Offline streaming speech to text with PocketSphinx (Debian's libpocketsphinx and its US
 * English model), decoded in worker threads so the event loop keeps pacing media.
 *
 * Each decoder holds named searches: the open model (made at start), a narrow model per moment
 * (stream.expect()) and a business's open model (useVocabulary(), by the stream's vocabulary
 * key), each loaded the first time one of its utterances lands on that decoder, and reloaded
 * when a newer version exists. Finals carry the N-best list's other readings.
 */
export class PocketSphinxStt implements SpeechToText {
  readonly name = 'pocketsphinx';
  readonly sampleRate: 8000 | 16000;
  readonly capabilities: SttCapabilities = { turnEnd: 'vad', interimResults: true };

  readonly #args: string[];
  readonly #cmn: number[] | undefined;
  readonly #opts: PocketSphinxOptions;
  readonly #hosts: DecoderHost[] = [];
  #nextId = 0;
  #closed = false;
  #lmDir: string | undefined;
  /** Narrow models by moment (absent: the moment runs the open model). */
  readonly #moments = new Map<ExpectedSpeech, SearchSpec>();
  readonly #vocabularies = new Map<string, Vocabulary>();
  /**
   * The decoders' reduced dictionary: its words and lines, growing with each vocabulary's new
   * words (undefined: decoders run the full dictionary). It only grows, so the newest version
   * serves every search. Words go in by replacing the dictionary, not by ps_add_word, which in
   * this library version also puts each word into every loaded model (one business's words
   * would leak into another's and into the narrow moments).
   */
  #dictionary: { words: Set<string>; lines: string[]; version: number; path: string } | undefined;
  #fullDictionary: Promise<Map<string, string[]>> | undefined;
  #vocabularySeq = 0;
  #vocabularyQueue: Promise<void> = Promise.resolve();
  #fullDictPath = '';

  private constructor(opts: PocketSphinxOptions, args: string[]) {
    this.#opts = opts;
    this.#args = args;
    this.sampleRate = opts.inputRate ?? 8000;
    const cmn = opts.cmnInit ?? (this.sampleRate === 8000 ? PHONE_CMN_INIT : undefined);
    this.#cmn = cmn === undefined ? undefined : [...cmn];
  }

  /**
   * Checks the addon and model, starts the workers and makes the warm decoders (so a bad
   * setting fails here, not on the first call). Throws PocketSphinxUnavailableError naming
   * the Debian packages when the addon or model is missing.
   */
  static async create(opts: PocketSphinxOptions = {}): Promise<PocketSphinxStt> {
    const addonPath = opts.addonPath ?? POCKETSPHINX_ADDON_PATH;
    assertAddonBuilt(addonPath);
    let model = opts.model ?? debianEnUsModel();
    checkModel(model);
    const fullDictPath = model.dict;
    const withMoments = opts.moments ?? true;
    let dict: Map<string, string[]> | undefined;
    let base: { words: Set<string>; lines: string[]; path: string } | undefined;
    const lmDir = await mkdtemp(join(tmpdir(), 'switchboard-lm-'));
    const moments = new Map<ExpectedSpeech, SearchSpec>();
    try {
      if (opts.domainPhrases !== undefined || withMoments) dict = await readDictionary(model.dict);
      const known = (w: string) => dict!.has(w);
      const vocabulary = new Set<string>();
      if (opts.domainPhrases !== undefined) {
        const lm = buildDomainLm(opts.domainPhrases, known);
        if (lm.unknownWords.length > 0) {
          opts.logger?.warn(
            { count: lm.unknownWords.length },
            'domain phrases have words the pronunciation dictionary lacks; they are skipped',
          );
        }
        const lmPath = join(lmDir, 'domain.arpa');
        await writeFile(lmPath, lm.arpa);
        for (const w of lm.vocabulary) vocabulary.add(w);
        model = { ...model, lm: lmPath };
      }
      if (withMoments) {
        for (const moment of EXPECTED_SPEECH) {
          if (moment === 'open') continue;
          const lm = buildDomainLm(momentPhrases(moment), known);
          const lmPath = join(lmDir, `${moment}.arpa`);
          await writeFile(lmPath, lm.arpa);
          for (const w of lm.vocabulary) vocabulary.add(w);
          moments.set(moment, { slot: moment, name: moment, lm: lmPath, dictVersion: 0 });
        }
      }
      if (opts.domainPhrases !== undefined) {
        // Only the models' words: the full dictionary costs most of a decoder's memory.
        const dictPath = join(lmDir, 'domain.dict');
        const lines = [...vocabulary].flatMap((w) => dict!.get(w) ?? []);
        await writeFile(dictPath, lines.join('\n') + '\n');
        model = { ...model, dict: dictPath };
        base = { words: vocabulary, lines, path: dictPath };
      }
    } catch (err) {
      await rm(lmDir, { recursive: true, force: true });
      throw err;
    }
    const settings = { ...DEFAULT_DECODER_SETTINGS, ...opts.decoderSettings };
    const stt = new PocketSphinxStt(opts, toArgs(model, settings));
    stt.#lmDir = lmDir;
    for (const [m, spec] of moments) stt.#moments.set(m, spec);
    stt.#dictionary = base === undefined ? undefined : { ...base, version: 0 };
    // The full dictionary (~135k words) is read again only if a vocabulary comes.
    stt.#fullDictPath = fullDictPath;
    const threads = Math.max(1, opts.threads ?? 1);
    const warm = Math.max(1, opts.warmDecoders ?? 1);
    try {
      for (let t = 0; t < threads; t++) stt.#hosts.push(stt.#spawn());
      await Promise.all(
        stt.#hosts.flatMap((host) =>
          Array.from({ length: warm }, async () => host.idle.push(await stt.#make(host))),
        ),
      );
    } catch (err) {
      await stt.close();
      // A worker that died (rather than answered) could not load the addon.
      throw err instanceof PocketSphinxError ? err : addonLoadError(addonPath, err);
    }
    return stt;
  }

  /**
   * Worker time so far by request kind, summed over threads: 'process' is streaming decoding,
   * 'end' the final pass at flush(), 'create' making decoders.
   */
  usage(): Record<string, OpUsage> {
    const out: Record<string, OpUsage> = {};
    for (const h of this.#hosts) {
      for (const [op, u] of h.usage) {
        const t = out[op] ?? { count: 0, wallMs: 0, cpuMs: 0 };
        out[op] = { count: t.count + u.count, wallMs: t.wallMs + u.wallMs, cpuMs: t.cpuMs + u.cpuMs };
      }
    }
    return out;
  }

  /**
   * One call's recognition. The engine has no endpointing of its own (turn end comes from our
   * VAD): each utterance, from its first audio to flush(), runs on a decoder lent from the pool
   * and given back at its end, so an idle call holds none.
   */
  stream(options: SttStreamOptions): SttStream {
    if (this.#closed) throw new PocketSphinxError('provider closed');
    const key = options.vocabulary;
    return new PocketSphinxStream((moment) => this.#lease(moment, key), this.#opts, options);
  }

  /**
   * Registers (or replaces) a business's words: streams opened with `vocabulary: key` run an
   * open model built from the domain phrases plus these. Words the decoders' dictionary lacks
   * come from the full pronunciation dictionary; words it lacks too are skipped (counted in the
   * log, never listed: they are the business's data). Decoders load the new version when an
   * utterance first needs it.
   */
  useVocabulary(key: string, phrases: readonly string[]): Promise<void> {
    if (this.#closed) return Promise.reject(new PocketSphinxError('provider closed'));
    // One at a time: each may grow the shared dictionary, written as a new numbered file.
    const done = this.#vocabularyQueue.then(() => this.#useVocabulary(key, phrases));
    this.#vocabularyQueue = done.catch(() => undefined);
    return done;
  }

  async #useVocabulary(key: string, phrases: readonly string[]): Promise<void> {
    if (this.#closed) throw new PocketSphinxError('provider closed');
    const full = await (this.#fullDictionary ??= readDictionary(this.#fullDictPath));
    const lm = buildDomainLm([...(this.#opts.domainPhrases ?? RECEPTIONIST_PHRASES), ...phrases], (w) =>
      full.has(w),
    );
    if (lm.unknownWords.length > 0) {
      this.#opts.logger?.warn(
        { count: lm.unknownWords.length },
        'vocabulary has words the pronunciation dictionary lacks; they are skipped',
      );
    }
    const seq = ++this.#vocabularySeq;
    const lmPath = join(this.#lmDir!, `vocabulary-${seq}.arpa`);
    await writeFile(lmPath, lm.arpa);
    const d = this.#dictionary;
    let dictVersion = 0;
    if (d !== undefined) {
      const fresh = lm.vocabulary.filter((w) => !d.words.has(w));
      if (fresh.length > 0) {
        for (const w of fresh) {
          d.words.add(w);
          d.lines.push(...(full.get(w) ?? []));
        }
        const path = join(this.#lmDir!, `dictionary-${d.version + 1}.dict`);
        await writeFile(path, d.lines.join('\n') + '\n');
        if (d.version > 0) this.#retire(d.path);
        d.version++;
        d.path = path;
      }
      dictVersion = d.version;
    }
    if (this.#closed) return;
    const previous = this.#vocabularies.get(key);
    if (previous !== undefined) this.#retire(previous.search.lm);
    const version = (previous?.version ?? 0) + 1;
    const slot = `open:${key}`;
    this.#vocabularies.set(key, {
      version,
      search: { slot, name: `${slot}#${version}`, lm: lmPath, dictVersion },
    });
  }

  /**
   * Deletes a replaced model or dictionary file a while later: a decoder may have been told to
   * load it just before it was replaced (the worker reads it when it gets there).
   */
  #retire(path: string): void {
    setTimeout(() => void rm(path, { force: true }).catch(() => undefined), RETIRE_AFTER_MS).unref();
  }

  /** The current version of a key's vocabulary (0: none), for tests and logs. */
  vocabularyVersion(key: string): number {
    return this.#vocabularies.get(key)?.version ?? 0;
  }

  /** The search an utterance of this moment runs, for a stream of this vocabulary. */
  #searchFor(moment: ExpectedSpeech, key: string | undefined): SearchSpec | undefined {
    if (moment !== 'open') {
      const narrow = this.#moments.get(moment);
      if (narrow !== undefined) return narrow;
    }
    return key === undefined ? undefined : this.#vocabularies.get(key)?.search;
  }

  #lease(moment: ExpectedSpeech, key: string | undefined): DecoderLease {
    if (this.#closed) throw new PocketSphinxError('provider closed');
    const host = this.#pickHost();
    let id = host.idle.pop();
    let created: Promise<unknown> | undefined;
    if (id === undefined) {
      id = ++this.#nextId;
      // Not awaited: the worker handles messages in order, so load/start/process queue behind it.
      created = host.call({ op: 'create', id, args: this.#args, cmn: this.#cmn });
    }
    const decoderId = id;
    const loaded = host.searches.get(decoderId) ?? new Map<string, string>();
    host.searches.set(decoderId, loaded);
    const spec = this.#searchFor(moment, key);
    let prepared = created;
    if (spec !== undefined && loaded.get(spec.slot) !== spec.name) {
      // First use on this decoder, or a newer version: load it (ordered before the start).
      const drop = loaded.get(spec.slot);
      loaded.set(spec.slot, spec.name);
      // A dictionary older than the model's words: the newest one first (a superset).
      let dict: string | undefined;
      const d = this.#dictionary;
      if (d !== undefined && (host.dicts.get(decoderId) ?? 0) < spec.dictVersion) {
        dict = d.path;
        host.dicts.set(decoderId, d.version);
      }
      const load = host.call({ op: 'load', id: decoderId, name: spec.name, lm: spec.lm, dict, drop });
      prepared = created === undefined ? load : Promise.all([created, load]);
    }
    host.active++;
    let released = false;
    return {
      host,
      id: decoderId,
      created: prepared,
      search: spec?.name ?? DEFAULT_SEARCH,
      release: (reusable) => {
        if (released) return;
        released = true;
        host.active--;
        if (!host.alive || this.#closed) return;
        if (reusable) host.idle.push(decoderId);
        else {
          host.searches.delete(decoderId);
          host.dicts.delete(decoderId);
          void host.call({ op: 'free', id: decoderId }).catch(() => undefined);
        }
      },
    };
  }

  /** Stops the workers (and frees every decoder with them). */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#hosts.map((h) => h.terminate()));
    this.#hosts.length = 0;
    if (this.#lmDir !== undefined) await rm(this.#lmDir, { recursive: true, force: true });
    this.#lmDir = undefined;
  }

  #spawn(): DecoderHost {
    // A new worker has no decoders: what the dead one had loaded is gone with it.
    return new DecoderHost(this.#opts.addonPath ?? POCKETSPHINX_ADDON_PATH, this.#opts.logger);
  }

  async #make(host: DecoderHost): Promise<number> {
    const id = ++this.#nextId;
    await host.call({ op: 'create', id, args: this.#args, cmn: this.#cmn });
    return id;
  }

  #pickHost(): DecoderHost {
    for (let i = 0; i < this.#hosts.length; i++) {
      if (!this.#hosts[i]!.alive) this.#hosts[i] = this.#spawn();
    }
    let best = this.#hosts[0]!;
    for (const h of this.#hosts) if (h.active < best.active) best = h;
    return best;
  }
}

/** A decoder lent to one utterance; release() gives it back (once). */
interface DecoderLease {
  readonly host: DecoderHost;
  readonly id: number;
  /** Set when the decoder is being made or given a search for this lease; rejects if that failed. */
  readonly created: Promise<unknown> | undefined;
  /** The search the utterance runs. */
  readonly search: string;
  release(reusable: boolean): void;
}

/** One utterance on its decoder. An empty flush() makes one without a decoder. */
interface Utterance {
  readonly lease: DecoderLease | undefined;
  readonly fill: BandFill | undefined;
  sinceHyp: number;
  interim: string;
  /** open: taking audio; ending: final pass in flight; done: decoder given back. */
  state: 'open' | 'ending' | 'done';
  /** Events held back while an earlier utterance is still ending. */
  readonly pending: SttEvent[];
  /** Its utterance-end has been emitted (or is pending). */
  over: boolean;
  error: Error | undefined;
}

class PocketSphinxStream implements SttStream {
  readonly track: Track;
  readonly #lease: (moment: ExpectedSpeech) => DecoderLease;
  readonly #signal: AbortSignal;
  readonly #opts: PocketSphinxOptions;
  readonly #partialEvery: number;
  readonly #confidence: boolean;
  readonly #alternatives: number;
  /** The model the next utterance runs; stays until told otherwise. */
  #moment: ExpectedSpeech = 'open';
  readonly #out = new EventChannel<SttEvent>();
  /** Utterances whose utterance-end has not gone out yet, oldest first: events leave in this order. */
  readonly #queue: Utterance[] = [];
  readonly #onAbort = () => this.close();
  #current: Utterance | undefined;
  #closed = false;

  constructor(
    lease: (moment: ExpectedSpeech) => DecoderLease,
    opts: PocketSphinxOptions,
    options: SttStreamOptions,
  ) {
    this.track = options.track;
    this.#lease = lease;
    this.#opts = opts;
    this.#signal = options.signal;
    this.#partialEvery = ((opts.partialEveryMs ?? 200) * MODEL_RATE) / 1000;
    this.#confidence = opts.confidence ?? true;
    this.#alternatives = Math.max(0, Math.min(8, opts.alternatives ?? 4));
    if (this.#signal.aborted) this.close();
    else this.#signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<SttEvent> {
    return this.#out[Symbol.asyncIterator]();
  }

  push(samples: Int16Array): void {
    if (this.#closed || samples.length === 0) return;
    const u = this.#current ?? this.#begin();
    if (u === undefined) return;
    const pcm = u.fill ? u.fill.push(samples) : samples.slice();
    if (pcm.length === 0) return;
    u.sinceHyp += pcm.length;
    const wantHyp = u.sinceHyp >= this.#partialEvery;
    if (wantHyp) u.sinceHyp = 0;
    u.lease!.host.call({ op: 'process', id: u.lease!.id, samples: pcm, hyp: wantHyp }).then(
      (hyp) => {
        if (typeof hyp !== 'string' || u.state !== 'open' || hyp === u.interim) return;
        u.interim = hyp;
        this.#emit(u, { type: 'interim', track: this.track, text: hyp });
      },
      (err: unknown) => this.#fail(u, err),
    );
  }

  flush(): void {
    if (this.#closed) return;
    const u = this.#current;
    this.#current = undefined;
    if (u !== undefined) {
      void this.#end(u);
      return;
    }
    // Nothing heard since the last utterance: an empty one, after those still ending.
    const empty = this.#utterance(undefined);
    empty.state = 'done';
    this.#queue.push(empty);
    this.#emit(empty, { type: 'final', track: this.track, text: '', alternatives: [{ text: '' }] });
    this.#emit(empty, { type: 'utterance-end', track: this.track });
  }

  expect(next: ExpectedSpeech): void {
    this.#moment = next;
  }

  close(): void {
    this.#shutdown(undefined);
  }

  #utterance(lease: DecoderLease | undefined): Utterance {
    const phone = (this.#opts.inputRate ?? 8000) === 8000;
    return {
      lease,
      fill: lease && phone ? new BandFill(this.#opts.bandFill) : undefined,
      sinceHyp: 0,
      interim: '',
      state: 'open',
      pending: [],
      over: false,
      error: undefined,
    };
  }

  #begin(): Utterance | undefined {
    let lease: DecoderLease;
    try {
      lease = this.#lease(this.#moment);
    } catch (err) {
      this.#shutdown(toError(err));
      return undefined;
    }
    const u = this.#utterance(lease);
    this.#current = u;
    this.#queue.push(u);
    lease.created?.catch((err: unknown) => this.#fail(u, err));
    lease.host
      .call({
        op: 'start',
        id: lease.id,
        resetChannel: this.#opts.resetChannel ?? true,
        search: lease.search,
      })
      .catch((err: unknown) => this.#fail(u, err));
    this.#emit(u, { type: 'speech-started', track: this.track });
    return u;
  }

  async #end(u: Utterance): Promise<void> {
    const lease = u.lease!;
    u.state = 'ending';
    const tail = u.fill?.flush();
    if (tail !== undefined && tail.length > 0) {
      lease.host
        .call({ op: 'process', id: lease.id, samples: tail, hyp: false })
        .catch((err: unknown) => this.#fail(u, err));
    }
    let r: EndResult;
    try {
      r = (await lease.host.call({
        op: 'end',
        id: lease.id,
        prob: this.#confidence,
        nbest: this.#alternatives,
      })) as EndResult;
    } catch (err) {
      u.state = 'done';
      lease.release(false);
      this.#fail(u, err);
      return;
    }
    u.state = 'done';
    // A decoder that failed on this utterance is not lent again.
    lease.release(u.error === undefined);
    if (u.error !== undefined) return; // the stream already failed with it
    const best: SttAlternative =
      r.prob === undefined ? { text: r.text } : { text: r.text, confidence: r.prob };
    const others = (r.nbest ?? []).map((text): SttAlternative => ({ text }));
    this.#emit(u, { type: 'final', track: this.track, ...best, alternatives: [best, ...others] });
    this.#emit(u, { type: 'utterance-end', track: this.track });
  }

  #emit(u: Utterance, e: SttEvent): void {
    if (this.#closed) return;
    const head = this.#queue[0] === u;
    if (head) this.#out.push(e);
    else u.pending.push(e);
    if (e.type !== 'utterance-end') return;
    u.over = true;
    if (!head) return;
    this.#queue.shift();
    // The next utterances' held-back events, up to the first still under way.
    for (let next = this.#queue[0]; next !== undefined; next = this.#queue[0]) {
      for (const held of next.pending.splice(0)) this.#out.push(held);
      if (!next.over) break;
      this.#queue.shift();
    }
  }

  readonly #fail = (u: Utterance, err: unknown): void => {
    u.error ??= toError(err);
    if (this.#closed) return;
    this.#opts.logger?.warn({ err: u.error }, 'pocketsphinx stream failed');
    this.#shutdown(u.error);
  };

  /** Closes (err undefined) or fails the stream; decoders of open utterances go back to the pool. */
  #shutdown(err: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#signal.removeEventListener('abort', this.#onAbort);
    for (const u of this.#queue) {
      if (u.state !== 'open' || u.lease === undefined) continue; // ending ones give theirs back at the end
      u.state = 'done';
      const { host, id } = u.lease;
      host.call({ op: 'abort', id }).catch(() => undefined);
      u.lease.release(u.error === undefined);
    }
    this.#queue.length = 0;
    this.#current = undefined;
    if (err === undefined) this.#out.discard();
    else this.#out.fail(err);
  }
}

const toError = (err: unknown): Error => (err instanceof Error ? err : new PocketSphinxError(String(err)));

/**
 * The offline recognizer as Switchboard ships it: 8 kHz phone audio in, band-filled, and the
 * receptionist domain language model (29% word error on the benchmark's synthetic callers
 * against 56% with the general English model). Pass `domainPhrases` to extend the vocabulary
 * (e.g. with the business's services and street names), or `domainPhrases: undefined` for the
 * general model.
 */
export function createPocketSphinxStt(opts: PocketSphinxOptions = {}): Promise<PocketSphinxStt> {
  return PocketSphinxStt.create({ domainPhrases: RECEPTIONIST_PHRASES, ...opts });
}

/** Worker threads worth running on this machine: leave a core for the event loop. */
export function defaultSttThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}
