import { useState } from 'preact/hooks';
import { api, messageOf } from '../../api';
import type { Plan, PlanLimits } from '../../types';
import { Button, Notice, useAsync } from '../../ui';

/**
 * The business's plan and what it allows (its row of the plan table), with every plan side by
 * side from GET /api/plans. Changing the plan is an admin's job; the page says so.
 */

const PLAN_ORDER: Plan[] = ['FREE', 'BASIC', 'PRO'];
const yes = (b: boolean | undefined) => (b ? 'Yes' : 'No');

type Row = [label: string, value: (l: PlanLimits) => string];
const ROWS: Row[] = [
  ['Voice agent answers calls', (l) => (l.voiceAgent ? 'Yes' : 'No (a message is taken)')],
  ['Realtime voice', (l) => yes(l.realtime)],
  ['Lead questions', (l) => (l.leadQuestions === null ? 'Unlimited' : `Up to ${l.leadQuestions}`)],
  ['Emergency alert calls', (l) => yes(l.emergencyVoiceCalls)],
  ['Analytics', (l) => ({ none: 'None', basic: 'Basic', full: 'Full' })[l.analytics ?? 'none']],
  ['Chat widget', (l) => ({ basic: 'Basic', enhanced: 'Enhanced', full: 'Full' })[l.chatWidget ?? 'basic']],
  ['Health and live monitoring', (l) => yes(l.monitoring)],
  ['"Powered by Switchboard" on the widget', (l) => (l.brandingVisible ? 'Shown' : 'Hidden')],
];

export function PlanCard({
  businessId,
  plan,
  limits,
  isAdmin,
  onChanged,
}: {
  businessId: string;
  plan: Plan;
  limits: PlanLimits;
  isAdmin: boolean;
  onChanged: () => void;
}) {
  const all = useAsync(() => api.get<{ plans: Record<Plan, PlanLimits> }>('/api/plans'), []);
  const [picked, setPicked] = useState<Plan>(plan);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);

  async function change(e: Event) {
    e.preventDefault();
    setBusy(true);
    setStatus(null);
    try {
      await api.send('PUT', `/api/business/${encodeURIComponent(businessId)}`, { plan: picked });
      setStatus({ kind: 'ok', text: `The plan is now ${picked}.` });
      onChanged();
    } catch (err) {
      setStatus({ kind: 'error', text: messageOf(err) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <dl class="facts">
        {ROWS.map(([label, value]) => (
          <div key={label}>
            <dt>{label}</dt>
            <dd>{value(limits)}</dd>
          </div>
        ))}
      </dl>
      {isAdmin ? (
        <form class="inline-form plan-form" onSubmit={change}>
          <div class="field">
            <label for="plan-pick">Plan</label>
            <select
              id="plan-pick"
              value={picked}
              onChange={(e) => setPicked((e.target as HTMLSelectElement).value as Plan)}
            >
              {PLAN_ORDER.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </div>
          <Button type="submit" busy={busy} disabled={picked === plan}>
            Change plan
          </Button>
          {status ? <Notice kind={status.kind}>{status.text}</Notice> : null}
        </form>
      ) : (
        <p class="field-hint">To change the plan, ask your Switchboard administrator.</p>
      )}
      {all.data ? (
        <details class="more">
          <summary>Compare plans</summary>
          <div class="table-wrap">
            <table class="plan-table">
              <caption class="visually-hidden">What each plan has; yours is {plan}</caption>
              <thead>
                <tr>
                  <th scope="col">Feature</th>
                  {PLAN_ORDER.map((p) => (
                    <th scope="col" key={p} class={p === plan ? 'plan-current' : undefined}>
                      {p}
                      {p === plan ? ' (yours)' : ''}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {ROWS.map(([label, value]) => (
                  <tr key={label}>
                    <th scope="row">{label}</th>
                    {PLAN_ORDER.map((p) => {
                      const l = all.data?.plans[p];
                      return (
                        <td key={p} class={p === plan ? 'plan-current' : undefined}>
                          {l ? value(l) : '—'}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      ) : null}
    </>
  );
}
