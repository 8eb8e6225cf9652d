import { describe, expect, it } from 'vitest';
import type { BusinessId, CallId, CallSid } from '../../src/ids.js';
import { EmergenciesRepo } from '../../src/store/emergencies-repo.js';
import { BusinessesRepo, CallsRepo } from '../../src/store/index.js';
import { LeadsRepo } from '../../src/store/leads-repo.js';
import { QuestionsRepo } from '../../src/store/questions-repo.js';
import { drivers, useDatabase } from './drivers.js';

let n = 0;
describe.each(drivers)('leads, emergencies and questions on $name', (driver) => {
  if (driver.skipReason) {
    it.skip(`skipped: ${driver.skipReason}`, () => {});
    return;
  }
  const store = useDatabase(driver);
  const setup = async (): Promise<{ businessId: BusinessId; callId: CallId; callSid: CallSid }> => {
    const b = await new BusinessesRepo(store.database.db).create({ name: 'Acme', greeting: 'Hi' });
    const callSid = `CA${String(++n).padStart(32, '0')}` as CallSid;
    const { call } = await new CallsRepo(store.database.db).create({ callSid, businessId: b.id });
    return { businessId: b.id, callId: call.id, callSid };
  };

  it('keeps one lead per call, updated as answers arrive', async () => {
    const { businessId, callId, callSid } = await setup();
    const repo = new LeadsRepo(store.database.db);
    const first = await repo.save({
      businessId,
      callId,
      callSid,
      fields: { name: 'Dana' },
      complete: false,
      transcript: [],
    });
    const second = await repo.save({
      businessId,
      callId,
      callSid,
      fields: { name: 'Dana', phone: '+13125550199' },
      complete: true,
      transcript: [{ speaker: 'caller', text: 'hi' }],
    });
    expect(second.id).toBe(first.id);
    const listed = await repo.list(businessId, { callSid });
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ name: 'Dana', phone: '+13125550199', complete: true, status: 'new' });
    expect(await repo.setStatus(businessId, first.id, 'contacted')).toBe(true);
    expect((await repo.list(businessId, { status: 'contacted' }))[0]?.id).toBe(first.id);
  });

  it('records emergencies and questions with their conversation', async () => {
    const { businessId, callId, callSid } = await setup();
    const transcript = [{ speaker: 'caller' as const, text: 'my basement is flooding' }];
    const e = await new EmergenciesRepo(store.database.db).create({
      businessId,
      callId,
      callSid,
      category: 'flooding',
      trigger: 'flooding',
      summary: 'Emergency (flooding)',
      transcript,
    });
    expect(e).toMatchObject({ status: 'open', transcript });
    expect(await new EmergenciesRepo(store.database.db).acknowledge(businessId, e.id, '+15005550002')).toBe(
      true,
    );
    const q = await new QuestionsRepo(store.database.db).create({
      businessId,
      callSid,
      question: 'do you fix garage doors',
      transcript,
    });
    expect(
      (await new QuestionsRepo(store.database.db).list(businessId, { status: 'open' })).map((x) => x.id),
    ).toEqual([q.id]);
  });
});
