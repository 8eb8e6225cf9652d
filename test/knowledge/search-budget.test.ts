import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECK_WITH_TEAM } from '../../src/agent/rules/knowledge-flow.js';
import { RulesBrain } from '../../src/agent/rules/rules-brain.js';
import { createStoreTools } from '../../src/agent/store-tools.js';
import { loadLlmState } from '../../src/agent/llm-state.js';
import { runTool } from '../../src/agent/llm-tools.js';
import { KnowledgeBase, KnowledgeRepo, KnowledgeTimeoutError } from '../../src/knowledge/index.js';
import type { CandidateQuery } from '../../src/knowledge/knowledge-repo.js';
import { AlertEscalations, Notifier, OutboxDispatcher } from '../../src/notify/index.js';
import { HashingEmbedder } from '../../src/providers/embed/index.js';
import {
  BusinessesRepo,
  DEMO_BUSINESS,
  QuestionsRepo,
  type Business,
  type Database,
} from '../../src/store/index.js';
import { chicago, plumber } from '../agent/fixtures/businesses.js';
import { Conversation, makeCtx } from '../agent/helpers.js';
import { createTestTarget, drivers, type TestTarget } from '../store/drivers.js';

/**
 * A search during a call has a time budget enforced by the database: on PostgreSQL the search's
 * statements run under `SET LOCAL statement_timeout`, so a slow one is cancelled by the server
 * (here a full-text statement made slow with pg_sleep), and the caller hears that the team will
 * check while the question is stored for the owner.
 */

const postgres = drivers.find((d) => d.name === 'postgres')!;
const never = new AbortController().signal;

/** The real repository, with every full-text statement made slow on the search's own connection. */
class SlowRepo extends KnowledgeRepo {
  override async fullTextCandidates(
    q: CandidateQuery,
    run?: Parameters<KnowledgeRepo['fullTextCandidates']>[1],
  ) {
    await (run ?? this.dbForTest).execute(sql`select pg_sleep(3)`);
    return super.fullTextCandidates(q, run);
  }
  dbForTest!: Database['db'];
}

describe.skipIf(Boolean(postgres.skipReason))('a knowledge search past its budget on PostgreSQL', () => {
  let target: TestTarget;
  let database: Database;
  let business: Business;
  let kb: KnowledgeBase;

  beforeAll(async () => {
    target = await createTestTarget('postgres');
    database = await target.open();
    business = await new BusinessesRepo(database.db).create({ ...DEMO_BUSINESS, phoneNumbers: [] });
    const repo = new SlowRepo(database.db);
    repo.dbForTest = database.db;
    kb = new KnowledgeBase({ repo, embedder: new HashingEmbedder() }, { searchTimeoutMs: 250 });
    await kb.add({
      businessId: business.id,
      title: 'Garage doors',
      content: 'We do not repair garage doors; we are plumbers. Try a garage door company.',
    });
  });

  afterAll(async () => {
    await database?.close();
    await target?.cleanup();
  });

  it('is cancelled by the database statement timeout, not left running', async () => {
    const started = performance.now();
    const err = await kb.search(business.id, 'do you repair garage doors', 3, never).catch((e: unknown) => e);
    const took = performance.now() - started;
    expect(err).toBeInstanceOf(KnowledgeTimeoutError);
    // The server cancelled the statement (SQLSTATE 57014), well before pg_sleep(3) would end.
    let cause: unknown = (err as Error).cause;
    const codes: unknown[] = [];
    while (cause) {
      codes.push((cause as { code?: unknown }).code);
      cause = (cause as { cause?: unknown }).cause;
    }
    expect(codes).toContain('57014');
    expect(took).toBeLessThan(2000);
    // Nothing is still running on the server for it.
    const running = await database.db.execute(
      sql`select count(*)::int as n from pg_stat_activity where query like '%pg_sleep(3)%' and state = 'active' and pid <> pg_backend_pid()`,
    );
    expect((running as unknown as { rows: { n: number }[] }).rows[0]!.n).toBe(0);
  });

  const storeTools = (callSid: string) => {
    const unused = { name: 'unused', send: async () => ({}) };
    const dispatcher = new OutboxDispatcher({
      db: database.db,
      channels: { sms: unused, email: unused, 'voice-call': unused, slack: unused, whatsapp: unused },
      pollIntervalMs: 60_000,
    });
    const notifier = new Notifier({
      db: database.db,
      outbox: dispatcher,
      escalations: new AlertEscalations({ db: database.db }),
    });
    return createStoreTools(
      {
        db: database.db,
        notifier,
        searchKnowledge: (businessId, query, signal) => kb.search(businessId, query, 3, signal),
      },
      { business, callSid, channel: 'phone' },
    );
  };

  it('makes the receptionist say it will check, and stores the question for the owner', async () => {
    const tools = storeTools(`CA${'5'.repeat(32)}`);
    const now = chicago('2025-06-11T10:00:00');
    const c = new Conversation(new RulesBrain({ tools }), { business: plumber, channel: 'phone', now });
    const r = await c.turn('do you repair garage doors');
    expect(r.said.startsWith(CHECK_WITH_TEAM)).toBe(true);
    expect(r.outs).toContainEqual({ type: 'question-for-owner', text: 'do you repair garage doors' });
    const stored = await new QuestionsRepo(database.db).list(business.id);
    expect(stored.map((q) => q.question)).toEqual(['do you repair garage doors']);
  });

  it('tells the LLM brain the search did not finish, and files the question itself', async () => {
    const callSid = `CA${'6'.repeat(32)}`;
    const ctx = makeCtx(plumber, chicago('2025-06-11T10:00:00'));
    const outcome = await runTool(
      {
        id: 't1',
        name: 'search_knowledge',
        arguments: { query: 'do you service boilers' },
        rawArguments: '{"query":"do you service boilers"}',
      },
      {
        ctx,
        st: loadLlmState(ctx.state),
        tools: storeTools(callSid),
        signal: never,
        lifetime: never,
        logger: undefined,
        callerText: 'do you service boilers',
        transcript: [],
        voice: true,
      },
    );
    expect(outcome.result).toMatchObject({ ok: false, note: expect.stringMatching(/check with the team/) });
    expect(outcome.outputs).toContainEqual({ type: 'question-for-owner', text: 'do you service boilers' });
    const stored = await new QuestionsRepo(database.db).list(business.id, { callSid });
    expect(stored.map((q) => q.question)).toEqual(['do you service boilers']);
  });
});
