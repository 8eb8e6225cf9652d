import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AlertEscalations,
  buildChannels,
  Notifier,
  OutboxDispatcher,
  OutboxRepo,
  resolveNotificationSettings,
  type AttemptStarted,
} from '../../src/notify/index.js';
import { asBusinessId } from '../../src/ids.js';
import { EmergenciesRepo, type Database, type Db } from '../../src/store/index.js';
import { outbox } from '../../src/store/schema/outbox.js';
import { createTestTarget, drivers, type TestTarget } from '../store/drivers.js';
import { createBusiness, waitFor } from './support/notify-fixtures.js';

const settings = resolveNotificationSettings({
  notifications: {
    emergency: {
      sms: ['+15005550101'],
      calls: ['+15005550101', '+15005550102'],
      email: ['owner@acme.test'],
      slackWebhookUrl: 'https://hooks.slack.test/services/T0/B0/secret',
    },
    leads: { email: ['office@acme.test'] },
  },
}).settings;

describe.each(drivers)('notifying an emergency end to end on $name (embedded default channels)', (driver) => {
  if (driver.skipReason) {
    it.skip(`skipped: ${driver.skipReason}`, () => {});
    return;
  }
  let target: TestTarget;
  let database: Database;
  let db: Db;
  let businessId: string;
  let dataDir: string;

  beforeAll(async () => {
    target = await createTestTarget(driver.name);
    database = await target.open();
    db = database.db;
    businessId = await createBusiness(db);
    dataDir = mkdtempSync(path.join(tmpdir(), 'sb-notifier-'));
  });
  afterAll(async () => {
    await database?.close();
    await target?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores the emergency with SMS, alert call, email and Slack atomically, all attempted within 2 s', async () => {
    const { channels } = buildChannels({ dataDir, delivery: 'local' });
    const firstAttempts: AttemptStarted[] = [];
    const dispatcher = new OutboxDispatcher({
      db,
      channels,
      pollIntervalMs: 60_000,
      onAttemptStarted: (e) => firstAttempts.push(e),
    });
    const escalations = new AlertEscalations({ db, outbox: dispatcher });
    const notifier = new Notifier({ db, outbox: dispatcher, escalations });
    const stop = new AbortController();
    const run = dispatcher.run(stop.signal);
    try {
      await new Promise((r) => setTimeout(r, 100));
      const callSid = `CA${'e'.repeat(32)}`;
      const transcript = [
        { speaker: 'agent' as const, text: 'Acme Plumbing, how can I help?' },
        { speaker: 'caller' as const, text: 'My basement is flooding!' },
      ];
      // The wiring app.ts uses: the emergency record and its notifications in one transaction.
      const raise = (fail: boolean) =>
        notifier.transaction(async (tx) => {
          const emergency = await new EmergenciesRepo(db).create(
            {
              businessId: asBusinessId(businessId),
              callSid,
              channel: 'phone',
              category: 'flooding',
              trigger: 'my basement is flooding',
              summary: 'Basement flooding at 12 Elm Street',
              callerId: '+15005550006',
              transcript,
            },
            tx,
          );
          const written = await notifier.emergency(tx, settings, {
            businessId,
            businessName: 'Acme Plumbing',
            emergencyId: emergency.id,
            callSid,
            category: emergency.category,
            trigger: emergency.trigger,
            summary: emergency.summary,
            callerId: '+15005550006',
            transcript,
            at: new Date('2026-03-02T15:00:00Z'),
            timeZone: 'America/New_York',
          });
          if (fail) throw new Error('crashed before the commit');
          return written;
        });
      await expect(raise(true)).rejects.toThrow('crashed');
      expect(await db.select().from(outbox).where(eq(outbox.callSid, callSid))).toEqual([]);
      expect(await new EmergenciesRepo(db).list(asBusinessId(businessId), { callSid })).toEqual([]);

      const started = Date.now();
      const result = await raise(false);
      expect(result.escalationId).toBeDefined();
      expect(result.notifications.map((n) => n.kind).sort()).toEqual(['email', 'slack', 'sms']);

      await waitFor(async () => {
        const rows = await db.select().from(outbox).where(eq(outbox.callSid, callSid));
        return rows.length === 4 && rows.every((r) => r.status === 'sent');
      }, 5000);
      const rows = await new OutboxRepo(db).list({ callSid });
      expect(rows.map((r) => r.kind).sort()).toEqual(['email', 'slack', 'sms', 'voice-call']);
      for (const r of rows) {
        expect(r.history).toHaveLength(1);
        expect(r.history[0]!.outcome).toBe('sent');
      }
      // Every kind's first attempt began within 2 s of the enqueue.
      expect(firstAttempts).toHaveLength(4);
      for (const a of firstAttempts) expect(a.startedAt - started).toBeLessThan(2000);
      const voice = rows.find((r) => r.kind === 'voice-call')!;
      expect(voice.recipient).toBe('+15005550101');
      expect(voice.body).toContain("The caller's number is 5 0 0, 5 5 5, 0 0 0 6.");
      const email = rows.find((r) => r.kind === 'email')!;
      const eml = readFileSync(path.join(dataDir, 'outbox-mail', `${email.id}.eml`), 'utf8');
      expect(eml).toContain('Subject: EMERGENCY (flooding) at Acme Plumbing - caller +15005550006');
      expect(eml).toContain('caller: My basement is flooding!');
      expect(existsSync(path.join(dataDir, 'outbox-mail'))).toBe(true);

      // A lead notifies once, however often the brain updates it.
      const again = await notifier.transaction((tx) =>
        notifier.lead(tx, settings, {
          businessId,
          businessName: 'Acme Plumbing',
          leadId: 'lead-1',
          fields: { name: 'Jane', phone: '+15005550006', need: 'leak' },
          complete: true,
          at: new Date(),
        }),
      );
      expect(again.map((n) => n.kind)).toEqual(['email']);
      const twice = await notifier.transaction((tx) =>
        notifier.lead(tx, settings, {
          businessId,
          businessName: 'Acme Plumbing',
          leadId: 'lead-1',
          fields: { name: 'Jane' },
          complete: true,
          at: new Date(),
        }),
      );
      expect(twice).toEqual([]);
    } finally {
      stop.abort();
      await run;
    }
  });
});
