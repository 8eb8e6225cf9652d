import { describe, expect, it } from 'vitest';
import type { BusinessId } from '../../src/ids.js';
import { FAQ_TITLE, KnowledgeBase } from '../../src/knowledge/knowledge-base.js';
import { KnowledgeRepo, type VectorSupport } from '../../src/knowledge/knowledge-repo.js';
import { HashingEmbedder } from '../../src/providers/embed/index.js';
import { BusinessesRepo } from '../../src/store/index.js';
import { drivers, useDatabase, type TestDriver } from '../store/drivers.js';
import { makePdf } from './pdf-fixture.js';

const signal = new AbortController().signal;

const HANDBOOK = `# Acme Plumbing handbook

## Emergencies

We answer emergencies around the clock. A burst pipe or a flooded basement gets a plumber at
your door within two hours. After-hours visits carry a $95 emergency fee on top of the repair.

## Payment

We take cash, checks and all major credit cards. Payment is due when the work is finished.

## Warranty

All repairs come with a one-year warranty on parts and labour. Water heaters we install carry
the manufacturer's ten-year tank warranty.

## Areas served

We serve Evanston, Skokie, Oak Park and the north side of Chicago.
`;

/** Driver x vector path: PGlite runs both (it has pgvector), PostgreSQL whatever it has. */
type Case = TestDriver & { vectors: VectorSupport | undefined };
const cases = drivers.flatMap((d): Case[] =>
  d.name === 'pglite'
    ? [
        { ...d, vectors: 'pgvector' },
        { ...d, vectors: 'array' },
      ]
    : [{ ...d, vectors: undefined }],
);

describe.each(cases)('knowledge base on $name (vectors: $vectors)', (driver) => {
  if (driver.skipReason) {
    it.skip(`skipped: ${driver.skipReason}`, () => {});
    return;
  }
  const store = useDatabase(driver);
  const setup = async () => {
    const db = store.database.db;
    const businesses = new BusinessesRepo(db);
    const a = await businesses.create({ name: 'Acme Plumbing', greeting: 'Hi' });
    const b = await businesses.create({ name: 'Bright Dental', greeting: 'Hello' });
    const repo = new KnowledgeRepo(db, driver.vectors ? { vectors: driver.vectors } : {});
    const kb = new KnowledgeBase({ repo, embedder: new HashingEmbedder() });
    return { kb, repo, a: a.id, b: b.id };
  };

  it('finds the passage that answers a spoken question and quotes it from the answering sentence', async () => {
    const { kb, a } = await setup();
    const added = await kb.add({ businessId: a, content: HANDBOOK, format: 'markdown' });
    expect(added).toMatchObject({ title: 'Acme Plumbing handbook', source: 'markdown', chunkCount: 4 });
    const hits = await kb.search(a, 'um is there an extra fee for after-hours visits', 3, signal);
    expect(hits[0]!.title).toBe('Acme Plumbing handbook > Emergencies');
    expect(hits[0]!.text).toMatch(/^After-hours visits carry a \$95 emergency fee/);
    const pay = await kb.search(a, 'can I pay with a credit card', 3, signal);
    expect(pay[0]!.text).toContain('credit cards');
    expect(pay[0]!.score).toBeGreaterThan(pay[1]?.score ?? 0);
  });

  it('finds nothing for a question the knowledge base cannot answer', async () => {
    const { kb, a } = await setup();
    await kb.add({ businessId: a, content: HANDBOOK, format: 'markdown' });
    expect(await kb.search(a, 'do you sell pizza', 3, signal)).toEqual([]);
    expect(await kb.search(a, 'uh yeah okay', 3, signal)).toEqual([]);
  });

  it("keeps each business's knowledge to itself", async () => {
    const { kb, a, b } = await setup();
    await kb.add({ businessId: a, content: HANDBOOK, format: 'markdown' });
    await kb.add({
      businessId: b,
      title: 'Dental',
      content: 'Cleanings are $120. We take Delta Dental insurance.',
    });
    expect(await kb.search(b, 'which areas do you serve', 3, signal)).toEqual([]);
    expect((await kb.search(b, 'do you take insurance', 3, signal))[0]?.text).toContain('Delta Dental');
    expect(await kb.search(a, 'do you take delta dental insurance', 3, signal)).toEqual([]);
  });

  it('lists and deletes documents, chunks going with them', async () => {
    const { kb, a, b } = await setup();
    const one = await kb.add({ businessId: a, title: 'Areas', content: 'We serve Skokie and Evanston.' });
    const pdf = await kb.add({
      businessId: a,
      file: {
        bytes: makePdf([['Warranty', 'Every repair is guaranteed for a year.']]),
        filename: 'warranty.pdf',
      },
    });
    expect(pdf).toMatchObject({ title: 'warranty', source: 'pdf', chunkCount: 1 });
    const listed = await kb.list(a);
    expect(listed.map((d) => d.title)).toEqual(['warranty', 'Areas']);
    expect(listed[1]).toMatchObject({ id: one.id, source: 'text', chunkCount: 1, origin: null });
    expect(await kb.delete(one.id, b)).toBe(false);
    expect(await kb.delete(one.id, a)).toBe(true);
    expect(await kb.delete(one.id)).toBe(false);
    expect(await kb.search(a, 'do you serve skokie', 3, signal)).toEqual([]);
    expect((await kb.search(a, 'is the repair guaranteed', 3, signal))[0]?.text).toContain(
      'guaranteed for a year',
    );
  });

  it('stores a document with NULs or lone surrogates in it, cleaned, instead of failing the insert', async () => {
    const { kb, a } = await setup();
    const added = await kb.add({
      businessId: a,
      title: 'Areas\u0000\ud800',
      content: 'We serve Skokie\u0000 and Evanston \udc00 every day.',
    });
    expect(added.title).toBe('Areas\uFFFD');
    expect((await kb.search(a, 'do you serve skokie', 3, signal))[0]?.text).toContain(
      'We serve Skokie and Evanston \uFFFD every day.',
    );
  });

  it('writes a document and its chunks together or not at all', async () => {
    const { repo, a } = await setup();
    await expect(
      repo.add({
        businessId: a,
        title: 'Broken',
        source: 'text',
        content: 'x',
        embeddingModel: 'm',
        chunks: [
          { heading: null, text: 'fine', embedding: null },
          { heading: null, text: null as unknown as string, embedding: null },
        ],
      }),
    ).rejects.toThrow();
    expect((await repo.list(a)).map((d) => d.title)).not.toContain('Broken');
  });

  it('indexes the FAQ as one replaceable document, quoting answers under their questions', async () => {
    const { kb, a } = await setup();
    const faq = [
      {
        question: 'Do you offer free estimates?',
        answer: 'Yes, estimates are free within our service area.',
      },
      { question: 'Are you licensed?', answer: 'We are licensed and insured in Illinois.' },
    ];
    expect(await kb.syncFaq(a, faq, signal)).toEqual({ changed: true, chunkCount: 2 });
    expect(await kb.syncFaq(a, faq, signal)).toEqual({ changed: false, chunkCount: 2 });
    const hit = (await kb.search(a, 'is the estimate free', 3, signal))[0];
    expect(hit).toMatchObject({
      title: 'Do you offer free estimates?',
      text: 'Yes, estimates are free within our service area.',
    });
    expect(await kb.syncFaq(a, [faq[1]!], signal)).toEqual({ changed: true, chunkCount: 1 });
    const docs = await kb.list(a);
    expect(docs.filter((d) => d.source === 'faq').map((d) => d.title)).toEqual([FAQ_TITLE]);
    expect(await kb.search(a, 'is the estimate free', 3, signal)).toEqual([]);
    expect(await kb.syncFaq(a, [], signal)).toEqual({ changed: true, chunkCount: 0 });
    expect(await kb.list(a)).toEqual([]);
  });

  it("gives the recognizer the words of the business's own documents, and no other business's", async () => {
    const { kb, a, b } = await setup();
    await kb.add(
      { businessId: a as BusinessId, title: 'Handbook', content: HANDBOOK, format: 'markdown' },
      signal,
    );
    await kb.add(
      { businessId: b as BusinessId, content: 'Invisalign aligners. Invisalign costs more.' },
      signal,
    );
    const terms = await kb.terms(a as BusinessId);
    expect(terms).toEqual(expect.arrayContaining(['handbook', 'emergencies', 'areas served', 'warranty']));
    expect(terms).not.toContain('invisalign');
    expect(await kb.terms(b as BusinessId)).toContain('invisalign');
  });

  it('stops when the signal aborts', async () => {
    const { kb, a } = await setup();
    const ctl = new AbortController();
    ctl.abort(new Error('barge-in'));
    await expect(kb.search(a, 'what are your prices', 3, ctl.signal)).rejects.toThrow('barge-in');
    await expect(kb.add({ businessId: a as BusinessId, content: 'Some text.' }, ctl.signal)).rejects.toThrow(
      'barge-in',
    );
  });
});

describe('vector support', () => {
  const pglite = drivers.find((d) => d.name === 'pglite')!;
  const store = useDatabase(pglite);
  it('creates pgvector where the server offers it (PGlite)', async () => {
    expect(await new KnowledgeRepo(store.database.db).vectorSupport()).toBe('pgvector');
  });
});
