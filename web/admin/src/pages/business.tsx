import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, messageOf } from '../api';
import { useSession } from '../session';
import type { Business } from '../types';
import { Button, Field, LoadError, Loading, Notice, Page, Section, useAsync } from '../ui';
import {
  businessBody,
  businessForm,
  formProblems,
  leadQuestionLimit,
  type BusinessForm,
} from './parts/business-form';
import { detailsOf } from './parts/failure';
import { HoursEditor } from './parts/hours-editor';
import { hoursProblems } from './parts/hours-form';
import { PlanCard } from './parts/plan-card';
import { FaqEditor, LeadQuestionsEditor, ServicesEditor } from './parts/profile-editors';
import { ReadOnlyNotice, canManage } from './parts/roles';
import { StatusNotice, type FormStatus } from './parts/status-notice';
import { WidgetSnippet } from './parts/widget-snippet';
import './settings.css';

/**
 * The business as callers meet it: name, greetings, time zone, hours, services, FAQ and the lead
 * questions, saved together with one button; the plan and what it allows above them. The server
 * checks everything again (the plan's lead-question limit included) and its refusal is shown.
 */
export function BusinessPage() {
  const session = useSession();
  const { businessId, user } = session;
  const manages = canManage(user.role);
  const loaded = useAsync(
    () => api.get<{ business: Business }>(`/api/business/${encodeURIComponent(businessId)}`),
    [businessId],
  );
  const business = loaded.data?.business;
  const [form, setForm] = useState<BusinessForm | null>(null);
  const [saving, setSaving] = useState(false);
  const [status, setStatus] = useState<FormStatus | null>(null);

  useEffect(() => {
    if (business) setForm(businessForm(business));
  }, [business]);

  const zones = useMemo(() => timeZones(form?.timezone), [form?.timezone]);

  function edit(patch: Partial<BusinessForm>) {
    setForm((f) => (f ? { ...f, ...patch } : f));
    if (status?.kind !== 'error') setStatus(null);
  }

  async function save(e: Event) {
    e.preventDefault();
    if (!form) return;
    const problems = [
      ...formProblems(form),
      ...hoursProblems(form.hours).days.filter(Boolean),
      ...hoursProblems(form.hours).holidays.filter(Boolean),
    ];
    if (problems.length > 0) {
      setStatus({ kind: 'error', text: 'Fix these before saving:', more: [...new Set(problems)] });
      return;
    }
    setSaving(true);
    setStatus(null);
    try {
      const answer = await api.send<{ business: Business; warnings: string[] }>(
        'PUT',
        `/api/business/${encodeURIComponent(businessId)}`,
        businessBody(form),
      );
      loaded.setData({ business: answer.business });
      setStatus({ kind: 'ok', text: 'Saved', more: answer.warnings });
      void session.reloadBusiness().catch(() => undefined);
    } catch (err) {
      setStatus({ kind: 'error', text: messageOf(err), more: detailsOf(err) });
    } finally {
      setSaving(false);
    }
  }

  const limit = business ? leadQuestionLimit(business) : null;

  return (
    <Page title="Business">
      <p class="page-intro muted">
        What the agent knows and says about your business. Changes apply to the next call.
      </p>
      {loaded.error ? <LoadError error={loaded.error} retry={() => void loaded.reload()} /> : null}
      {!form && !loaded.error ? <Loading lines={8} label="Loading the business…" /> : null}
      {business && form ? (
        <>
          {!manages ? <ReadOnlyNotice what="business settings" /> : null}
          {business.problems.length > 0 ? (
            <Notice kind="info">
              Some stored settings could not be read, so defaults are used for them:
              <ul class="notice-list">
                {business.problems.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            </Notice>
          ) : null}
          <Section title={`Plan: ${business.plan}`}>
            <PlanCard
              businessId={businessId}
              plan={business.plan}
              limits={business.limits}
              isAdmin={user.role === 'admin'}
              onChanged={() => {
                void loaded.reload();
                void session.reloadBusiness().catch(() => undefined);
              }}
            />
          </Section>
          <Section title="Chat widget">
            <WidgetSnippet business={business} />
          </Section>
          <form onSubmit={save} noValidate class="settings-form" aria-label="Business settings">
            <fieldset disabled={!manages} class="plain-fieldset">
              <legend class="visually-hidden">Business settings</legend>
              <Section title="Profile">
                <Field label="Business name">
                  <input
                    type="text"
                    value={form.name}
                    autoComplete="organization"
                    onInput={(e) => edit({ name: (e.target as HTMLInputElement).value })}
                  />
                </Field>
                <Field
                  label="Greeting"
                  hint="The first thing callers hear. {business} says the name, {timeOfDay} says “Good morning” or the like."
                >
                  <textarea
                    rows={2}
                    value={form.greeting}
                    onInput={(e) => edit({ greeting: (e.target as HTMLTextAreaElement).value })}
                  />
                </Field>
                <Field
                  label="After-hours greeting"
                  hint="Used while you are closed; {nextOpen} says when you open next. Empty: the greeting above."
                >
                  <textarea
                    rows={2}
                    value={form.afterHoursGreeting}
                    onInput={(e) => edit({ afterHoursGreeting: (e.target as HTMLTextAreaElement).value })}
                  />
                </Field>
                <Field label="Timezone" hint="Your hours are read in this time zone.">
                  <select
                    value={form.timezone}
                    onChange={(e) => edit({ timezone: (e.target as HTMLSelectElement).value })}
                  >
                    {zones.map((z) => (
                      <option key={z} value={z}>
                        {z.replace(/_/g, ' ')}
                      </option>
                    ))}
                  </select>
                </Field>
              </Section>
              <Section title="Hours">
                <HoursEditor value={form.hours} onChange={(hours) => edit({ hours })} />
              </Section>
              <Section title="Services">
                <ServicesEditor value={form.services} onChange={(services) => edit({ services })} />
              </Section>
              <Section title="FAQ">
                <p class="muted">Answers the agent gives word for word when a caller asks.</p>
                <FaqEditor value={form.faq} onChange={(faq) => edit({ faq })} />
              </Section>
              <Section title="Lead questions">
                <LeadQuestionsEditor
                  value={form.leadQuestions}
                  custom={form.customQuestions}
                  plan={business.plan}
                  trade={business.trade}
                  limit={limit}
                  onChange={(leadQuestions, customQuestions) => edit({ leadQuestions, customQuestions })}
                />
              </Section>
            </fieldset>
            {manages || status ? (
              <div class="save-bar">
                {manages ? (
                  <Button type="submit" variant="primary" busy={saving}>
                    Save
                  </Button>
                ) : null}
                <StatusNotice status={status} />
              </div>
            ) : null}
          </form>
        </>
      ) : null}
    </Page>
  );
}

/** The browser's IANA zones, with the business's own first if the browser does not list it. */
function timeZones(current: string | undefined): string[] {
  let all: string[] = [];
  try {
    all = Intl.supportedValuesOf('timeZone');
  } catch {
    // Older browsers: the current zone alone still saves.
  }
  if (current && !all.includes(current)) all = [current, ...all];
  return all;
}
