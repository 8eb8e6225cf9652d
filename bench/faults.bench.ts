/**
 * Nothing accepted is lost across faults under load: PostgreSQL restarted (pg_ctl restart -m fast
 * on a private cluster), Redis killed (SIGKILL) and restarted empty 8 s later (a private
 * redis-server), and cloud speech and the language model stalling (ElevenLabs sends headers and
 * no audio, the model opens its stream and says nothing), each while N phone calls give a lead
 * (name and need, the number they call from, an address), WhatsApp contacts write whole leads
 * (a new one every 1.5 s) and a test email is queued every 250 ms.
 *
 * Printed per fault: calls completed; leads accepted (a lead event with a number for a call, a
 * WhatsApp lead answered 200) against leads stored; call events published against delivered to
 * this node's subscriber, and lead events against those stored; notifications accepted (202)
 * against delivered; how long /health said degraded (Redis) and the recovery time after the
 * server came back (PostgreSQL: the restart, and the slowest request that waited through it).
 *
 * Run: npx tsx bench/faults.bench.ts [calls=10] [postgres|redis|provider ...]   (all three by
 * default). Targets: lost 0 everywhere; Redis degraded only while it is away (recovery under
 * ~3 s); requests across a PostgreSQL restart wait, they do not fail. In-process server (source),
 * PGlite for the Redis and provider runs. Uses the test support servers in test/support.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { eq, inArray } from 'drizzle-orm';
import { DEMO_BUSINESS_ID, DEMO_PHONE_NUMBER } from '../src/store/index.js';
import { callEvents, calls as callsTable, leads, outbox } from '../src/store/schema/index.js';
import { signTwilioRequest } from '../src/telephony/twilio/index.js';
import { TURN_FAILED_REPLY } from '../src/telephony/twilio/whatsapp-message.js';
import type { CallEvent } from '../src/voice/index.js';
import { cuedCallers } from '../test/faults/cued-caller.js';
import { placeLeadCall } from '../test/faults/lead-call.js';
import { startFakeElevenLabs } from '../test/support/fake-elevenlabs.js';
import { chunk, startFakeOpenAiServer } from '../test/support/fake-openai-server.js';
import { postgresServerUnavailable, startPostgresServer } from '../test/support/postgres-server.js';
import { startRedisServer } from '../test/support/redis-server.js';
import { startTestServer, type TestServer } from '../test/support/test-server.js';

type FaultName = 'postgres' | 'redis' | 'provider';
const FAULTS: FaultName[] = ['postgres', 'redis', 'provider'];
const N = Number(process.argv[2] ?? 10);
const chosen = process.argv.slice(3).filter((a): a is FaultName => FAULTS.includes(a as FaultName));
const WHATSAPP_TURNS = [
  'I need a leak fixed, can someone call me back',
  'Dana Whitfield',
  '555 201 7788',
  '42 Elm Street, Brooklyn',
  'The pipe under the kitchen sink is leaking',
  'This week is fine',
];
const VOICE = 'EXAVITQu4vr4xnSDxMaL';

interface Counts {
  whatsappAccepted: number;
  whatsappRefused: number;
  emailsAccepted: string[];
  emailsRefused: number;
  /** Slowest test-email request (ms): what waiting through a fault cost a client. */
  slowestEmailMs: number;
}

/** The steady stream beside the calls: WhatsApp leads and test emails, until stopped. */
function startSideLoad(server: TestServer, counts: Counts, run: { id: number }) {
  let stopped = false;
  const jobs: Array<Promise<void>> = [];
  const auth = { authorization: `Bearer ${server.app.apiKey}` };
  const contact = async (n: number) => {
    const url = `${server.baseUrl}/whatsapp/message`;
    let ok = true;
    for (const [i, text] of WHATSAPP_TURNS.entries()) {
      const params = {
        MessageSid: `SM${run.id.toString(16).padStart(4, '0')}${n.toString(16).padStart(4, '0')}${i.toString(16).padStart(24, '0')}`,
        AccountSid: `AC${'0'.repeat(32)}`,
        From: `whatsapp:+1555${String(run.id).padStart(2, '0')}${String(10_000 + n).slice(1)}`,
        To: `whatsapp:${DEMO_PHONE_NUMBER}`,
        Body: text,
        NumMedia: '0',
      };
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': signTwilioRequest(server.app.twilioAuthToken, url, params),
        },
        body: new URLSearchParams(params).toString(),
      }).catch(() => undefined);
      const body = await res?.text();
      if (!res?.ok) {
        ok = false;
        if (process.env['BENCH_VERBOSE'])
          console.log(`  whatsapp turn ${i} answered ${res?.status}: ${body}`);
      }
    }
    if (ok) counts.whatsappAccepted++;
    else counts.whatsappRefused++;
  };
  const email = async () => {
    const t0 = performance.now();
    const res = await fetch(`${server.baseUrl}/api/admin/test-email`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'owner@example.com' }),
    }).catch(() => undefined);
    counts.slowestEmailMs = Math.max(counts.slowestEmailMs, performance.now() - t0);
    if (res?.status === 202)
      counts.emailsAccepted.push(((await res.json()) as { outboxId: string }).outboxId);
    else counts.emailsRefused++;
  };
  let n = 0;
  const contacts = setInterval(() => jobs.push(contact(n++)), 1500);
  const emails = setInterval(() => jobs.push(email()), 250);
  return async () => {
    if (stopped) return;
    stopped = true;
    clearInterval(contacts);
    clearInterval(emails);
    await Promise.all(jobs);
  };
}

async function runFault(fault: FaultName, runId: number): Promise<void> {
  const cleanup: Array<() => Promise<unknown>> = [];
  const env: Record<string, string> = { LOG_LEVEL: process.env['BENCH_LOG_LEVEL'] ?? 'silent' };
  const pg = fault === 'postgres' ? await startPostgresServer() : undefined;
  if (pg) {
    env['DATABASE_URL'] = pg.url;
    cleanup.push(() => pg.close());
  }
  const redis = fault === 'redis' ? await startRedisServer() : undefined;
  if (redis) {
    env['REDIS_URL'] = redis.url;
    cleanup.push(() => redis.close());
  }
  const eleven =
    fault === 'provider' ? await startFakeElevenLabs({ voices: [VOICE], msPerChar: 20 }) : undefined;
  const model = fault === 'provider' ? await startFakeOpenAiServer() : undefined;
  if (eleven && model) {
    model.defaultChat = () => ({
      kind: 'stream',
      parts: [{ data: chunk({ role: 'assistant', content: '' }) }, { stall: true }],
    });
    Object.assign(env, {
      TTS_PROVIDERS: 'elevenlabs,flite',
      ELEVENLABS_API_KEY: eleven.apiKey,
      ELEVENLABS_BASE_URL: eleven.baseUrl,
      ELEVENLABS_VOICE_ID: VOICE,
      LLM_BASE_URL: model.baseUrl,
      LLM_MODEL: 'gpt-4o-mini',
      LLM_API_KEY: 'sk-bench',
      LLM_FIRST_TOKEN_TIMEOUT_MS: '600',
      PROVIDER_STALL_MS: '800',
    });
    cleanup.push(
      () => eleven.close(),
      () => model.close(),
    );
  }
  const callers = await cuedCallers();
  const server = await startTestServer(env, { stt: callers.stt });
  cleanup.unshift(() => server.stop());
  const { app } = server;
  try {
    const health = async () => {
      const res = await fetch(`${server.baseUrl}/health`).catch(() => undefined);
      const body = (await res?.json().catch(() => undefined)) as
        { status?: string; redis?: unknown } | undefined;
      return { http: res?.status ?? 0, status: body?.status ?? 'no answer', redis: body?.redis };
    };
    if (redis) {
      const end = Date.now() + 10_000;
      while ((await health()).status !== 'healthy' && Date.now() < end) await sleep(100);
    }
    const received = new Map<string, CallEvent[]>();
    const sub = await app.bus.subscribe({ businessId: DEMO_BUSINESS_ID }, (e) => {
      const list = received.get(e.callSid) ?? [];
      list.push(e);
      received.set(e.callSid, list);
    });
    const leadEventsWithPhone = () =>
      [...received.values()].filter((l) =>
        l.some((e) => e.type === 'lead' && (e as { fields?: Record<string, unknown> }).fields?.['phone']),
      ).length;
    const firstLeads = () => [...received.values()].filter((l) => l.some((e) => e.type === 'lead')).length;

    const counts: Counts = {
      whatsappAccepted: 0,
      whatsappRefused: 0,
      emailsAccepted: [],
      emailsRefused: 0,
      slowestEmailMs: 0,
    };
    const stopSide = startSideLoad(server, counts, { id: runId });
    const t0 = performance.now();

    // The fault, once half the calls have given their first answer.
    const faultNotes: string[] = [];
    const faultRun = (async () => {
      if (eleven) {
        await eleven.controls.waitForRequests(1);
        eleven.controls.failAll({ kind: 'stall-after-headers' });
        faultNotes.push('ElevenLabs and the model stalled from the first greeting on');
        return;
      }
      while (firstLeads() < Math.ceil(N / 2)) await sleep(50);
      if (pg) {
        const t = performance.now();
        await pg.restart();
        faultNotes.push(`restart took ${((performance.now() - t) / 1000).toFixed(2)} s`);
      }
      if (redis) {
        await redis.kill();
        const killedAt = performance.now();
        let degradedAt: number | undefined;
        const watch = (async () => {
          while (performance.now() - killedAt < 8000) {
            if (degradedAt === undefined && (await health()).status === 'degraded')
              degradedAt = performance.now();
            await sleep(100);
          }
        })();
        await watch;
        await redis.restart();
        const backAt = performance.now();
        let healthyAt: number | undefined;
        while (performance.now() - backAt < 30_000) {
          const h = await health();
          if (h.status === 'healthy') {
            healthyAt = performance.now();
            break;
          }
          await sleep(50);
        }
        faultNotes.push(
          degradedAt === undefined
            ? '/health never said degraded (is Redis wired into the app?)'
            : `degraded after ${((degradedAt - killedAt) / 1000).toFixed(2)} s, for ${(((healthyAt ?? performance.now()) - degradedAt) / 1000).toFixed(2)} s; healthy ${healthyAt === undefined ? 'NEVER' : `${((healthyAt - backAt) / 1000).toFixed(2)} s`} after Redis returned`,
        );
      }
    })();

    // N calls, each started once the one before it is heard (so each hears its own caller).
    const calls: Array<Promise<{ callSid: string; status: string } | undefined>> = [];
    for (let i = 0; i < N; i++) {
      const c = callers.caller();
      calls.push(
        placeLeadCall(server, c.callerAudio, { extraTurns: ['42 Oak Avenue'] }).then(
          (r) => ({
            callSid: r.callSid,
            status: String((r.serverCall as { call?: { status?: string } } | undefined)?.call?.status),
          }),
          () => undefined,
        ),
      );
      await Promise.race([c.opened, sleep(20_000)]);
    }
    const reports = await Promise.all(calls);
    await faultRun;
    await stopSide();
    const loadS = (performance.now() - t0) / 1000;
    await sub.unsubscribe();

    // Delivered: wait up to 30 s for the outbox to drain.
    const db = app.database.db;
    const drainEnd = Date.now() + 30_000;
    let rows: Array<{ id: string; status: string; cause: string; body: string }> = [];
    for (;;) {
      rows = await db
        .select({ id: outbox.id, status: outbox.status, cause: outbox.cause, body: outbox.body })
        .from(outbox);
      if (rows.every((r) => r.status === 'sent') || Date.now() > drainEnd) break;
      await sleep(250);
    }
    const sent = new Set(rows.filter((r) => r.status === 'sent').map((r) => r.id));

    const callSids = reports.flatMap((r) => (r ? [r.callSid] : []));
    const storedLeads = callSids.length
      ? await db
          .select({ callSid: leads.callSid, phone: leads.phone })
          .from(leads)
          .where(inArray(leads.callSid, callSids))
      : [];
    const phoneLeadsStored = storedLeads.filter((l) => l.phone).length;
    const waLeads = (
      await db.select({ phone: leads.phone }).from(leads).where(eq(leads.channel, 'whatsapp'))
    ).filter((l) => l.phone).length;
    const mine = callSids.map((s) => received.get(s) ?? []);
    const published = mine.reduce((n, l) => n + Math.max(0, ...l.map((e) => e.seq)), 0);
    const delivered = mine.reduce((n, l) => n + l.length, 0);
    const leadEvents = mine.reduce((n, l) => n + l.filter((e) => e.type === 'lead').length, 0);
    const storedEventTypes = callSids.length
      ? await db
          .select({ type: callEvents.type })
          .from(callEvents)
          .innerJoin(callsTable, eq(callsTable.id, callEvents.callId))
          .where(inArray(callsTable.callSid, callSids))
      : [];
    const storedLeadEvents = storedEventTypes.length;
    const storedLeadEventCount = storedEventTypes.filter((e) => e.type === 'lead').length;
    const acceptedLeads = leadEventsWithPhone() + counts.whatsappAccepted;
    const storedLeadsTotal = phoneLeadsStored + Math.min(waLeads, counts.whatsappAccepted);
    const emailsDelivered = counts.emailsAccepted.filter((id) => sent.has(id)).length;
    // A turn whose database write the fault cut is answered with an apology asking to send again.
    const apologies = rows.filter((r) => r.cause === 'whatsapp-reply' && r.body === TURN_FAILED_REPLY).length;

    console.log(`${fault}: ${faultNotes.join('; ')}`);
    console.log(
      `  load ${loadS.toFixed(1)} s: calls completed ${reports.filter((r) => r?.status === 'completed').length}/${N}, ` +
        `WhatsApp leads ${counts.whatsappAccepted} (refused ${counts.whatsappRefused}; turns answered "send again" ${apologies}), emails queued ${counts.emailsAccepted.length} (refused ${counts.emailsRefused}), slowest email request ${counts.slowestEmailMs.toFixed(0)} ms`,
    );
    console.log(
      `  leads:         accepted ${acceptedLeads} (calls ${leadEventsWithPhone()}, whatsapp ${counts.whatsappAccepted}), stored ${storedLeadsTotal}, lost: ${acceptedLeads - storedLeadsTotal}`,
    );
    console.log(
      `  events:        published ${published}, delivered to this node ${delivered}, lost: ${published - delivered}; lead events ${leadEvents}, stored ${storedLeadEventCount}, lost: ${leadEvents - storedLeadEventCount} (${storedLeadEvents} call events stored)`,
    );
    console.log(
      `  notifications: emails accepted ${counts.emailsAccepted.length}, delivered ${emailsDelivered}, lost: ${counts.emailsAccepted.length - emailsDelivered}; outbox ${rows.length} rows, ${sent.size} sent`,
    );
  } finally {
    for (const c of cleanup) await c().catch(() => undefined);
  }
}

if (chosen.length === 0) chosen.push(...FAULTS);
const pgMissing = postgresServerUnavailable();
console.log(`faults: ${N} concurrent calls per fault, WhatsApp leads and test emails alongside`);
for (const [i, fault] of chosen.entries()) {
  if (fault === 'postgres' && pgMissing) {
    console.log(`postgres: skipped (${pgMissing})`);
    continue;
  }
  await runFault(fault, i + 1);
}
