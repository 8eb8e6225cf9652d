import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerEmergencyAckApi } from '../../src/admin/emergency-ack-api.js';
import { registerReceptionistApi } from '../../src/admin/receptionist-api.js';
import type { BusinessId } from '../../src/ids.js';
import { AlertEscalations } from '../../src/notify/index.js';
import { EmergenciesRepo, type Db } from '../../src/store/index.js';
import { alertEscalations, outbox } from '../../src/store/schema/index.js';
import { recordsServer, type RecordsServer } from './records-access.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('POST /api/emergencies/:id/acknowledge', () => {
  let s: RecordsServer;
  let escalations: AlertEscalations;

  beforeAll(async () => {
    s = await recordsServer((app, deps) => {
      escalations = new AlertEscalations({ db: deps.db });
      registerReceptionistApi(app, deps);
      registerEmergencyAckApi(app, { ...deps, escalations });
    });
  });
  afterAll(async () => s?.close());

  /** An emergency whose owner is being called, as the receptionist raises it. */
  async function raise(db: Db, businessId: BusinessId): Promise<{ id: string; escalationId: string }> {
    return db.transaction(async (tx) => {
      const emergency = await new EmergenciesRepo(db).create(
        { businessId, category: 'flooding', trigger: 'flooding', summary: 'Flooding', transcript: [] },
        tx,
      );
      const started = await escalations.start(tx, {
        businessId,
        cause: 'emergency',
        causeId: emergency.id,
        message: 'Flooding at 12 Elm Street',
        contacts: ['+15550001111', '+15550002222'],
      });
      return { id: emergency.id, escalationId: started!.escalationId };
    });
  }

  const ack = (id: string, headers: Record<string, string>) =>
    s.app.inject({ method: 'POST', url: `/api/emergencies/${id}/acknowledge`, headers, payload: {} });

  it('marks it acknowledged by the dashboard user and stops the alert calls not yet placed', async () => {
    const e = await raise(s.db, s.acme);
    const res = await ack(e.id, s.as.agentA);
    expect(res.statusCode, res.body).toBe(200);
    const { emergency } = res.json() as Json;
    expect(emergency).toMatchObject({
      id: e.id,
      status: 'acknowledged',
      acknowledgedBy: 'dashboard:agent@acme.example',
    });
    expect(Number.isNaN(Date.parse(emergency.acknowledgedAt))).toBe(false);
    // The escalation ends and its first call, never placed, is cancelled: nobody else is rung.
    const [escalation] = await s.db
      .select()
      .from(alertEscalations)
      .where(eq(alertEscalations.id, e.escalationId));
    expect(escalation!.status).toBe('cancelled');
    expect(escalation!.nextCheckAt).toBeNull();
    expect(emergency.notifications).toEqual([
      expect.objectContaining({ channel: 'voice-call', to: '+15550001111', status: 'cancelled' }),
    ]);
    // The list shows the same.
    const list = await s.app.inject({ method: 'GET', url: '/api/emergencies', headers: s.as.ownerA });
    expect((list.json() as Json).items.find((i: Json) => i.id === e.id)).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: 'dashboard:agent@acme.example',
      notifications: [{ channel: 'voice-call', status: 'cancelled' }],
    });
  });

  it('keeps the first acknowledgement: a second one changes neither time nor person', async () => {
    const e = await raise(s.db, s.acme);
    const first = (await ack(e.id, s.as.ownerA)).json() as Json;
    const second = await ack(e.id, s.as.key);
    expect(second.statusCode).toBe(200);
    expect((second.json() as Json).emergency).toMatchObject({
      status: 'acknowledged',
      acknowledgedBy: 'dashboard:owner@acme.example',
      acknowledgedAt: first.emergency.acknowledgedAt,
    });
  });

  it('names the API key when the key acknowledges', async () => {
    const e = await raise(s.db, s.dental);
    const res = await ack(e.id, s.as.key);
    expect((res.json() as Json).emergency.acknowledgedBy).toBe('api-key');
  });

  it("answers 404 for another business's emergency, as for a missing one, and leaves it open", async () => {
    const e = await raise(s.db, s.acme);
    const theirs = await ack(e.id, s.as.ownerB);
    const missing = await ack('00000000-0000-4000-8000-000000000000', s.as.ownerB);
    expect([theirs.statusCode, missing.statusCode]).toEqual([404, 404]);
    expect(theirs.json()).toEqual(missing.json());
    expect((await new EmergenciesRepo(s.db).get(e.id))!.status).toBe('open');
    const [escalation] = await s.db
      .select()
      .from(alertEscalations)
      .where(eq(alertEscalations.id, e.escalationId));
    expect(escalation!.status).toBe('calling');
    const calls = await s.db.select().from(outbox).where(eq(outbox.causeId, e.id));
    expect(calls.map((c) => c.status)).toEqual(['pending']);
  });

  it('needs a signed-in principal', async () => {
    const e = await raise(s.db, s.acme);
    expect((await ack(e.id, {})).statusCode).toBe(401);
  });
});
