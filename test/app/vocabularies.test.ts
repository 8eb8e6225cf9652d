import { describe, expect, it } from 'vitest';
import { CallerVocabularies } from '../../src/app/vocabularies.js';
import type { StoredBusiness } from '../../src/business/index.js';
import { asBusinessId, type BusinessId } from '../../src/ids.js';
import type { SpeechToText } from '../../src/providers/stt/index.js';
import { silentLogger } from '../../src/shared/index.js';

const A = asBusinessId('00000000-0000-4000-8000-00000000000a');
const B = asBusinessId('00000000-0000-4000-8000-00000000000b');

const business = (id: BusinessId, name: string, service: string): StoredBusiness & { id: BusinessId } => ({
  id,
  name,
  trade: 'plumbing',
  greeting: 'Hi',
  afterHoursGreeting: null,
  timezone: 'America/New_York',
  hours: { weekly: {}, holidays: [] },
  plan: 'PRO',
  settings: { profile: { services: [{ id: 's', name: service, durationMinutes: 30 }] } },
});

/** A recognizer with a language model of its own: remembers what it was given. */
function recordingStt(
  loaded: Array<{ key: string; phrases: readonly string[] }>,
  fail = false,
): SpeechToText {
  return {
    name: 'lm',
    sampleRate: 8000,
    capabilities: { turnEnd: 'vad', interimResults: true },
    stream: () => {
      throw new Error('not used');
    },
    useVocabulary: async (key, phrases) => {
      if (fail) throw new Error('model build failed');
      loaded.push({ key, phrases });
    },
    close: async () => undefined,
  };
}

function setup(
  opts: { fail?: boolean; variants?: ConstructorParameters<typeof CallerVocabularies>[0]['variants'] } = {},
) {
  const loaded: Array<{ key: string; phrases: readonly string[] }> = [];
  const stored = new Map([
    [A, business(A, 'Acme Plumbing', 'Sump pump install')],
    [B, business(B, 'Bright Dental', 'Teeth whitening')],
  ]);
  const terms = new Map<BusinessId, string[]>([[A, ['backflow testing']]]);
  const vocabularies = new CallerVocabularies({
    recognizers: [recordingStt(loaded, opts.fail)],
    businesses: {
      list: async () => [...stored.values()],
      getById: async (id) => stored.get(id),
    },
    knowledge: { terms: async (id) => terms.get(id) ?? [] },
    log: silentLogger,
    debounceMs: 10_000,
    ...(opts.variants ? { variants: opts.variants } : {}),
  });
  return { loaded, stored, terms, vocabularies };
}

describe('CallerVocabularies', () => {
  it("gives every business's profile and knowledge words to the recognizer at start, keyed by business id", async () => {
    const { loaded, vocabularies } = setup();
    await vocabularies.loadAll();
    expect(loaded.map((l) => l.key)).toEqual([A, B]);
    expect(loaded[0]!.phrases).toEqual(
      expect.arrayContaining(['Acme Plumbing', 'Sump pump install', 'backflow testing']),
    );
    expect(loaded[1]!.phrases).toContain('Teeth whitening');
    expect(loaded[1]!.phrases).not.toContain('backflow testing');
  });

  it("builds each variant from the business's words plus its own phrases, under its own key", async () => {
    const { loaded, vocabularies } = setup({
      variants: [{ key: (id) => `${id}:assist`, phrases: ['i want a refund'] }],
    });
    await vocabularies.loadAll();
    expect(loaded.map((l) => l.key)).toEqual([A, `${A}:assist`, B, `${B}:assist`]);
    expect(loaded[0]!.phrases).not.toContain('i want a refund');
    expect(loaded[1]!.phrases).toEqual(expect.arrayContaining(['Sump pump install', 'i want a refund']));
  });

  it('rebuilds a changed business once for several changes close together', async () => {
    const { loaded, terms, vocabularies } = setup();
    terms.set(A, ['water softener']);
    vocabularies.changed(A);
    vocabularies.changed(A);
    await vocabularies.settled();
    expect(loaded.map((l) => l.key)).toEqual([A]);
    expect(loaded[0]!.phrases).toContain('water softener');
  });

  it('a change that names no business rebuilds them all', async () => {
    const { loaded, vocabularies } = setup();
    vocabularies.changed(undefined);
    await vocabularies.settled();
    expect(loaded.map((l) => l.key).sort()).toEqual([A, B].sort());
  });

  it('a recognizer that cannot build the model leaves calls on the general model, without throwing', async () => {
    const { vocabularies } = setup({ fail: true });
    await expect(vocabularies.loadAll()).resolves.toBeUndefined();
  });

  it('recognizers without a language model of their own are left alone', async () => {
    const v = new CallerVocabularies({
      recognizers: [{ ...recordingStt([]), useVocabulary: undefined }],
      businesses: { list: async () => [], getById: async () => undefined },
      knowledge: { terms: async () => [] },
      log: silentLogger,
    });
    v.changed(A);
    await expect(v.settled()).resolves.toBeUndefined();
    await v.close();
  });
});
