import { useEffect, useState } from 'preact/hooks';
import { api, messageOf, query } from '../api';
import { useSession } from '../session';
import { Button, Field, LoadError, Loading, Notice, Page, Section, useAsync } from '../ui';
import {
  notificationsBody,
  notificationsForm,
  notificationsProblems,
  otherContacts,
  type NotificationsForm,
  type NotificationsView,
} from './parts/notifications-form';
import { detailsOf } from './parts/failure';
import { ReadOnlyNotice, canManage } from './parts/roles';
import { StatusNotice, type FormStatus } from './parts/status-notice';
import './settings.css';

/**
 * Who hears of leads and emergencies: one email, one phone for emergency texts (and alert calls
 * on PRO), a Slack channel, and a test email to the saved address to prove the path works.
 */
export function NotificationsPage() {
  const session = useSession();
  const { businessId, user } = session;
  const manages = canManage(user.role);
  const path = query('/api/admin/business/notifications', { businessId });
  const saved = useAsync(() => api.get<NotificationsView>(path), [path]);
  const [form, setForm] = useState<NotificationsForm | null>(null);
  const [status, setStatus] = useState<FormStatus | null>(null);
  const [saving, setSaving] = useState(false);
  const [shown, setShown] = useState(false);
  const [testing, setTesting] = useState(false);
  const [test, setTest] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);

  useEffect(() => {
    if (saved.data) setForm(notificationsForm(saved.data));
  }, [saved.data]);

  const problems = form && shown ? notificationsProblems(form) : {};
  const plan = session.business?.plan;
  const voiceAlerts = session.business?.limits.emergencyVoiceCalls ?? plan === 'PRO';

  async function save(e: Event) {
    e.preventDefault();
    if (!form || !saved.data) return;
    setShown(true);
    setStatus(null);
    if (Object.keys(notificationsProblems(form)).length > 0) {
      setStatus({ kind: 'error', text: 'Some fields need fixing before saving.' });
      return;
    }
    setSaving(true);
    try {
      const answer = await api.send<NotificationsView & { warnings?: string[] }>(
        'PUT',
        path,
        notificationsBody(form, saved.data),
      );
      const { warnings = [], ...view } = answer;
      saved.setData(view);
      setShown(false);
      setStatus({ kind: 'ok', text: 'Saved', more: warnings });
    } catch (err) {
      setStatus({ kind: 'error', text: messageOf(err), more: detailsOf(err) });
    } finally {
      setSaving(false);
    }
  }

  async function sendTest() {
    setTesting(true);
    setTest(null);
    try {
      const answer = await api.send<{ outboxId: string; to: string }>(
        'POST',
        query('/api/admin/test-email', { businessId }),
        {},
      );
      setTest({ kind: 'ok', text: `Test email queued to ${answer.to}` });
    } catch (err) {
      setTest({ kind: 'error', text: messageOf(err) });
    } finally {
      setTesting(false);
    }
  }

  const set = (k: keyof NotificationsForm) => (e: Event) => {
    const value = (e.target as HTMLInputElement).value;
    setForm((f) => (f ? { ...f, [k]: value } : f));
    setStatus(null);
  };

  const others = saved.data ? otherContacts(saved.data) : { emails: [], phones: [] };
  const savedEmail = saved.data?.notificationEmail ?? null;

  return (
    <Page title="Notifications">
      <p class="page-intro muted">
        Where Switchboard tells you about new leads and emergencies. Everything is also kept in the outbox,
        with each delivery's status.
      </p>
      {saved.error ? <LoadError error={saved.error} retry={() => void saved.reload()} /> : null}
      {!form && !saved.error ? <Loading lines={4} label="Loading notification settings…" /> : null}
      {form ? (
        <>
          {!manages ? <ReadOnlyNotice what="notification settings" /> : null}
          <Section title="Contacts">
            <form onSubmit={save} noValidate class="settings-form">
              <fieldset disabled={!manages} class="plain-fieldset">
                <legend class="visually-hidden">Notification contacts</legend>
                <Field
                  label="Notification email"
                  hint="Gets an email for every lead and emergency."
                  error={problems.email ?? null}
                >
                  <input
                    type="email"
                    name="email"
                    autoComplete="email"
                    value={form.email}
                    onInput={set('email')}
                    placeholder="owner@example.com"
                  />
                </Field>
                <Field
                  label="Emergency phone"
                  hint={
                    voiceAlerts
                      ? 'Gets a text and an alert call for every emergency. With the country code, e.g. +12125550147.'
                      : `Gets a text for every emergency (alert calls need the PRO plan). With the country code, e.g. +12125550147.`
                  }
                  error={problems.phone ?? null}
                >
                  <input
                    type="tel"
                    name="phone"
                    autoComplete="tel"
                    value={form.phone}
                    onInput={set('phone')}
                    placeholder="+12125550147"
                  />
                </Field>
                <Field
                  label="Slack webhook URL"
                  hint="Leads, bookings and emergencies are posted to the Slack channel of this incoming webhook. A saved URL is shown shortened: it is a secret."
                  error={problems.slack ?? null}
                >
                  <input
                    type="url"
                    name="slack"
                    value={form.slack}
                    onInput={set('slack')}
                    placeholder="https://hooks.slack.com/services/…"
                    spellcheck={false}
                  />
                </Field>
                {others.emails.length + others.phones.length > 0 ? (
                  <p class="field-hint">
                    Also notified (set through the API): {[...others.emails, ...others.phones].join(', ')}.
                    Changing the email or phone above replaces them.
                  </p>
                ) : null}
              </fieldset>
              <div class="form-actions">
                {manages ? (
                  <Button type="submit" variant="primary" busy={saving}>
                    Save
                  </Button>
                ) : null}
                <StatusNotice status={status} />
              </div>
            </form>
          </Section>
          <Section title="Test email">
            <p>
              {savedEmail ? (
                <>
                  Sends a short test email to the saved address, <strong>{savedEmail}</strong>, through the
                  same outbox as real notifications.
                </>
              ) : (
                'Save a notification email first: the test goes to the saved address.'
              )}
            </p>
            {manages ? (
              <div class="form-actions">
                <Button onClick={() => void sendTest()} busy={testing}>
                  Send test email
                </Button>
                {test ? <Notice kind={test.kind}>{test.text}</Notice> : null}
              </div>
            ) : null}
          </Section>
        </>
      ) : null}
    </Page>
  );
}
