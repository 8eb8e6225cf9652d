import { describe, expect, it } from 'vitest';
import { businessProfileSchema, profileIssues } from '../../src/business/index.js';
import { DEMO_BUSINESS } from '../../src/store/seed.js';
import {
  businessBody,
  businessForm,
  canAddQuestion,
  defaultLeadFields,
  formProblems,
  leadLimitText,
  leadQuestionLimit,
  nextField,
  serviceId,
  type BusinessView,
} from '../../web/admin/src/pages/parts/business-form.js';

const stored = DEMO_BUSINESS.settings as {
  profile: {
    services: NonNullable<BusinessView['profile']['services']>;
    faq: { question: string; answer: string }[];
  };
};

/** The demo business as GET /api/business/:id shows it. */
const demo = (over: Partial<BusinessView['profile']> = {}, plan = 'PRO'): BusinessView => ({
  name: DEMO_BUSINESS.name,
  plan,
  profile: {
    greeting: DEMO_BUSINESS.greeting ?? null,
    afterHoursGreeting: null,
    timezone: DEMO_BUSINESS.timezone ?? 'America/New_York',
    hours: DEMO_BUSINESS.hours as BusinessView['profile']['hours'],
    services: stored.profile.services.map((s) => ({ bookable: true, aliases: [], ...s })),
    faq: stored.profile.faq,
    leadQuestions: null,
    ...over,
  },
  limits: { leadQuestions: plan === 'FREE' ? 5 : null },
});

/**
 * What the server would make of the body (as src/admin/business-api.ts merges it: null removes a
 * part): the schema, and the plan's and uniqueness rules.
 */
function serverCheck(body: ReturnType<typeof businessBody>, plan: string) {
  const given = Object.entries(body.profile).filter(([, v]) => v !== null);
  const parsed = businessProfileSchema.parse({ ...Object.fromEntries(given), name: body.name, plan });
  return profileIssues(parsed);
}

describe('the Business form', () => {
  it('sends back what it was given, unchanged, in a shape the server accepts', () => {
    const body = businessBody(businessForm(demo()));
    expect(body.name).toBe('Acme Plumbing');
    expect(body.profile.greeting).toBe(DEMO_BUSINESS.greeting);
    expect(body.profile.afterHoursGreeting).toBeNull();
    expect(body.profile.services).toEqual(demo().profile.services);
    expect(body.profile.faq).toEqual(stored.profile.faq);
    expect(body.profile.hours).toEqual(DEMO_BUSINESS.hours);
    expect(serverCheck(body, 'PRO')).toEqual([]);
  });

  it('keeps the default lead questions unset until they are edited', () => {
    const form = businessForm(demo());
    expect(form.customQuestions).toBe(false);
    expect(form.leadQuestions.map((q) => q.field)).toEqual(['name', 'phone', 'address', 'need', 'urgency']);
    expect(businessBody(form).profile).not.toHaveProperty('leadQuestions');
    form.customQuestions = true;
    form.leadQuestions[0]!.prompt = '  Who am I speaking with?  ';
    expect(businessBody(form).profile.leadQuestions?.[0]).toEqual({
      field: 'name',
      prompt: 'Who am I speaking with?',
      required: true,
    });
    expect(businessBody(form).profile.leadQuestions?.[1]).toEqual({ field: 'phone', required: true });
  });

  it("offers the agent's default questions for the trade (no address for a dentist)", () => {
    expect(defaultLeadFields('plumbing')).toEqual(['name', 'phone', 'address', 'need', 'urgency']);
    expect(defaultLeadFields('dental')).toEqual(['name', 'phone', 'need', 'urgency']);
    expect(businessForm({ ...demo(), trade: 'dental' }).leadQuestions.map((q) => q.field)).toEqual(
      defaultLeadFields('dental'),
    );
  });

  it('goes back to the default questions by removing the stored ones', () => {
    const form = businessForm(demo({ leadQuestions: [{ field: 'name', required: true }] }));
    expect(form.customQuestions).toBe(true);
    expect(businessBody(form).profile.leadQuestions).toEqual([{ field: 'name', required: true }]);
    form.customQuestions = false;
    expect(businessBody(form).profile.leadQuestions).toBeNull();
  });

  it('gives a new service an id from its name, unique among the others, and drops blank rows', () => {
    const form = businessForm(demo());
    const blank = {
      id: '',
      name: '',
      durationMinutes: '',
      price: '',
      aliases: '',
      description: '',
      bookable: true,
    };
    form.services.push(
      { ...blank, name: 'Drain Cleaning', durationMinutes: '30', aliases: 'snaking, rooter , ' },
      blank,
    );
    const services = businessBody(form).profile.services;
    expect(services).toHaveLength(4);
    expect(services[3]).toEqual({
      id: 'drain-cleaning-2',
      name: 'Drain Cleaning',
      aliases: ['snaking', 'rooter'],
      durationMinutes: 30,
      bookable: true,
    });
    expect(serverCheck(businessBody(form), 'PRO')).toEqual([]);
    expect(serviceId('  Über Heating & Air!! ', [])).toBe('uber-heating-air');
    expect(serviceId('???', [])).toBe('service');
  });

  it('clears the after-hours greeting with null and drops empty FAQ rows', () => {
    const form = businessForm(demo({ afterHoursGreeting: 'We are closed.' }));
    expect(form.afterHoursGreeting).toBe('We are closed.');
    form.afterHoursGreeting = '  ';
    form.faq.push({ question: '', answer: '' });
    const body = businessBody(form);
    expect(body.profile.afterHoursGreeting).toBeNull();
    expect(body.profile.faq).toHaveLength(stored.profile.faq.length);
  });

  it('stops adding lead questions at the FREE plan limit of 5, and states the limit', () => {
    const free = demo({}, 'FREE');
    const form = businessForm(free);
    const limit = leadQuestionLimit(free);
    expect(limit).toBe(5);
    expect(leadLimitText('FREE', limit)).toBe('Your FREE plan allows 5 lead questions');
    expect(canAddQuestion(form.leadQuestions, limit)).toBe(false);
    expect(canAddQuestion(form.leadQuestions.slice(0, 4), limit)).toBe(true);
  });

  it('the sixth question the UI would refuse is one the server refuses too', () => {
    const form = businessForm(demo({}, 'FREE'));
    form.customQuestions = true;
    form.leadQuestions.push({ field: nextField(form.leadQuestions)!, prompt: '', required: true });
    expect(serverCheck(businessBody(form), 'FREE')).toEqual([
      { path: 'leadQuestions', message: 'the FREE plan allows at most 5 lead questions (got 6)' },
    ]);
  });

  it('on paid plans has no limit but each field once', () => {
    const pro = demo();
    expect(leadQuestionLimit(pro)).toBeNull();
    expect(leadLimitText('PRO', null)).toBe('Your PRO plan allows any number of lead questions');
    const rows = businessForm(pro).leadQuestions;
    expect(nextField(rows)).toBe('email');
    expect(canAddQuestion(rows, null)).toBe(true);
    expect(canAddQuestion([...rows, { field: 'email', prompt: '', required: false }], null)).toBe(false);
  });

  it('reads the limit from the plan when the business has no limits', () => {
    expect(leadQuestionLimit({ plan: 'FREE' })).toBe(5);
    expect(leadQuestionLimit({ plan: 'BASIC' })).toBeNull();
  });

  it('names what must be fixed before saving', () => {
    const form = businessForm(demo());
    expect(formProblems(form)).toEqual([]);
    form.name = ' ';
    form.greeting = '';
    form.services[0]!.durationMinutes = '1.5';
    form.faq.push({ question: 'Parking?', answer: '' });
    form.leadQuestions[1]!.field = 'name';
    expect(formProblems(form)).toEqual([
      'Enter the business name.',
      'Enter a greeting.',
      'Service 1: the duration is a whole number of minutes (1 to 1440).',
      'FAQ 6: enter both the question and the answer.',
      'Two lead questions ask for name.',
    ]);
  });
});
