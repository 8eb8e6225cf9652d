/**
 * The offline stack one evaluation worker runs calls through, built as the app builds it
 * (src/app.ts, src/providers/registry.ts, src/app/brain.ts): an embedded database (PGlite) with
 * both businesses and their knowledge bases (hashing embedder), Silero VAD, PocketSphinx with the
 * receptionist model, and per call the rules brain on the store-backed tools.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStoreTools, RulesBrain, type AgentTools, type KnowledgeHit } from '../../src/agent/index.js';
import { profileFromStored, type BusinessProfile } from '../../src/business/index.js';
import { asCallSid, type E164 } from '../../src/ids.js';
import { KnowledgeBase, KnowledgeRepo } from '../../src/knowledge/index.js';
import { AlertEscalations, Notifier } from '../../src/notify/index.js';
import { HashingEmbedder } from '../../src/providers/embed/index.js';
import { createPocketSphinxStt } from '../../src/providers/stt/pocketsphinx.js';
import type { SpeechToText } from '../../src/providers/stt/index.js';
import { SileroVadModel } from '../../src/providers/vad/silero.js';
import { BusinessesRepo, CallsRepo, openDatabase, type Business, type Db } from '../../src/store/index.js';
import { BUSINESSES } from './businesses.js';
import type { EvalBusiness } from './scenario.js';

export const silent = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  trace() {},
  fatal() {},
  child: () => silent,
  level: 'silent',
};

export interface EvalStack {
  readonly db: Db;
  readonly stt: SpeechToText;
  readonly vad: SileroVadModel;
  readonly businesses: Record<EvalBusiness, { business: Business; profile: BusinessProfile }>;
  /** One call's tools and brain; `hits` collects what the knowledge base returned. */
  call(
    business: EvalBusiness,
    opts: { callerId: E164; now: Date; lifetime: AbortSignal },
  ): Promise<{ callSid: string; tools: AgentTools; brain: RulesBrain; hits: KnowledgeHit[] }>;
  close(): Promise<void>;
}

let callSeq = 0;

export async function buildStack(): Promise<EvalStack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-offline-eval-'));
  const database = await openDatabase({ dataDir, logger: silent as never });
  const db = database.db;
  const kb = new KnowledgeBase({ repo: new KnowledgeRepo(db), embedder: new HashingEmbedder() });
  const repo = new BusinessesRepo(db);
  const never = new AbortController().signal;
  const businesses = {} as EvalStack['businesses'];
  for (const [key, { input, kbDir }] of Object.entries(BUSINESSES) as Array<
    [EvalBusiness, (typeof BUSINESSES)[EvalBusiness]]
  >) {
    const business = await repo.create(input);
    const { profile } = profileFromStored(business);
    await kb.syncFaq(business.id, profile.faq);
    for (const file of readdirSync(kbDir).sort()) {
      await kb.add(
        { businessId: business.id, file: { bytes: readFileSync(join(kbDir, file)), filename: file } },
        never,
      );
    }
    businesses[key] = { business, profile };
  }
  const stt = await createPocketSphinxStt({ threads: 1, logger: silent });
  await loadVocabularies(stt, kb, businesses);
  const notifier = new Notifier({ db, outbox: { wake() {} }, escalations: new AlertEscalations({ db }) });
  const vad = await SileroVadModel.load();
  const calls = new CallsRepo(db);

  return {
    db,
    stt,
    vad,
    businesses,
    async call(key, { callerId, now, lifetime }) {
      const { business } = businesses[key];
      const callSid = `CA${process.pid.toString(16).padStart(8, '0')}${(++callSeq).toString(16).padStart(24, '0')}`;
      await calls.create({ callSid: asCallSid(callSid), businessId: business.id, from: callerId });
      const hits: KnowledgeHit[] = [];
      const base = createStoreTools(
        {
          db,
          notifier,
          searchKnowledge: (id, q, signal) => kb.search(id, q, 3, signal),
          now: () => now,
          logger: silent as never,
        },
        { business, callSid, channel: 'phone', callerId },
      );
      // The store's tools as they are (whatever tools the brain has), with the knowledge search watched.
      const watched: AgentTools['searchKnowledge'] = async (q, signal) => {
        const found = await base.searchKnowledge(q, signal);
        hits.push(...found);
        return found;
      };
      const tools = new Proxy(base, {
        get(target, prop) {
          if (prop === 'searchKnowledge') return watched;
          const v: unknown = Reflect.get(target, prop, target);
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
      return { callSid, tools, brain: new RulesBrain({ tools, lifetime }), hits };
    },
    async close() {
      await stt.close();
      await vad.close();
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Each business's words into the recognizer's open model, as the app does at start
 * (src/app/vocabularies.ts): profile and knowledge-base terms. Looked up at run time, so the
 * evaluation also runs on code from before recognizers had vocabularies (there it does nothing).
 */
async function loadVocabularies(
  stt: SpeechToText,
  kb: KnowledgeBase,
  businesses: EvalStack['businesses'],
): Promise<void> {
  const business = (await import('../../src/business/index.js')) as Record<string, unknown>;
  const build = business['businessVocabulary'] as
    ((profile: BusinessProfile, terms: readonly string[]) => string[]) | undefined;
  const terms = (kb as unknown as { terms?: (id: Business['id']) => Promise<string[]> }).terms?.bind(kb);
  if (!stt.useVocabulary || !build || !terms) return;
  for (const { business: b, profile } of Object.values(businesses)) {
    await stt.useVocabulary(b.id, build(profile, await terms(b.id)));
  }
}
