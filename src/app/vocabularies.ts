import { businessVocabulary, profileFromStored, type StoredBusiness } from '../business/index.js';
import type { BusinessId } from '../ids.js';
import type { SpeechToText } from '../providers/stt/index.js';
import type { Logger } from '../shared/index.js';

/**
 * Keeps each business's words (profile and knowledge base) in the offline recognizer's open
 * model: loaded for every business at start, rebuilt shortly after the profile or the knowledge
 * changes. The key is the business id, which the call's recognizer stream names as its vocabulary.
 */
export interface VocabulariesDeps {
  /** The recognizers calls use; those with a language model of their own take the vocabulary. */
  readonly recognizers: readonly SpeechToText[];
  readonly businesses: {
    list(): Promise<ReadonlyArray<StoredBusiness & { id: BusinessId }>>;
    getById(id: BusinessId): Promise<(StoredBusiness & { id: BusinessId }) | undefined>;
  };
  readonly knowledge: { terms(businessId: BusinessId): Promise<string[]> };
  readonly log: Pick<Logger, 'info' | 'warn'>;
  /** Changes within this window are rebuilt once. Default 2000 ms (an owner uploads several files). */
  readonly debounceMs?: number;
  /**
   * Further models per business: its words plus `phrases`, under `key(businessId)` (agent assist's
   * customers say "refund" and "unacceptable", which the receptionist's callers need not).
   */
  readonly variants?: ReadonlyArray<{ key(businessId: BusinessId): string; phrases: readonly string[] }>;
}

export class CallerVocabularies {
  readonly #deps: VocabulariesDeps;
  readonly #targets: Array<Required<Pick<SpeechToText, 'useVocabulary'>> & { name: string }>;
  /** Businesses waiting for a rebuild; `all` when a change named none. */
  #due = new Set<BusinessId>();
  #dueAll = false;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(deps: VocabulariesDeps) {
    this.#deps = deps;
    this.#targets = deps.recognizers.flatMap((r) =>
      r.useVocabulary ? [{ name: r.name, useVocabulary: r.useVocabulary.bind(r) }] : [],
    );
  }

  /** Builds every business's vocabulary (at start). A failure is logged: calls keep the general model. */
  async loadAll(): Promise<void> {
    if (this.#targets.length === 0) return;
    for (const b of await this.#deps.businesses.list()) await this.#build(b);
  }

  /** The business's profile or knowledge changed (undefined: some business, rebuild all). */
  changed(businessId: BusinessId | undefined): void {
    if (this.#closed || this.#targets.length === 0) return;
    if (businessId === undefined) this.#dueAll = true;
    else this.#due.add(businessId);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#flush(), this.#deps.debounceMs ?? 2000);
    this.#timer.unref();
  }

  /** Waits for rebuilds in flight; later changes are dropped. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Resolves when the rebuilds asked for so far are done (tests; shutdown). */
  async settled(): Promise<void> {
    if (this.#timer !== undefined && (this.#dueAll || this.#due.size > 0)) {
      clearTimeout(this.#timer);
      this.#flush();
    }
    await this.#running;
  }

  #flush(): void {
    this.#timer = undefined;
    const all = this.#dueAll;
    const ids = [...this.#due];
    this.#dueAll = false;
    this.#due = new Set();
    this.#running = this.#running.then(async () => {
      if (this.#closed) return;
      if (all) return this.loadAll();
      for (const id of ids) {
        const b = await this.#deps.businesses.getById(id).catch(() => undefined);
        if (b) await this.#build(b);
      }
    });
  }

  async #build(b: StoredBusiness & { id: BusinessId }): Promise<void> {
    try {
      const terms = await this.#deps.knowledge.terms(b.id);
      const phrases = businessVocabulary(profileFromStored(b).profile, terms);
      for (const t of this.#targets) {
        await t.useVocabulary(b.id, phrases);
        for (const v of this.#deps.variants ?? [])
          await t.useVocabulary(v.key(b.id), [...phrases, ...v.phrases]);
      }
      this.#deps.log.info(
        { businessId: b.id, phrases: phrases.length, recognizers: this.#targets.map((t) => t.name) },
        "loaded the business's words into the recognizer",
      );
    } catch (err) {
      this.#deps.log.warn(
        { err, businessId: b.id },
        "the business's words could not be loaded; calls use the general model",
      );
    }
  }
}
