import { Button } from '../../ui';
import {
  canAddQuestion,
  defaultLeadFields,
  DEFAULT_PROMPTS,
  LEAD_FIELD_NAMES,
  LEAD_FIELDS,
  leadLimitText,
  nextField,
  type Faq,
  type LeadField,
  type QuestionRow,
  type ServiceRow,
} from './business-form';

/**
 * The Business page's list editors: services, FAQ and lead questions. Each row's controls are
 * named with the row's number ("Service 2 name", "Question 3") so they are told apart by ear.
 */

const valueOf = (e: Event) => (e.target as HTMLInputElement).value;

function Remove({ label, onClick }: { label: string; onClick: () => void }) {
  return (
    <Button class="btn-small" variant="ghost" aria-label={label} onClick={onClick}>
      Remove
    </Button>
  );
}

const BLANK_SERVICE: ServiceRow = {
  id: '',
  name: '',
  durationMinutes: '60',
  price: '',
  aliases: '',
  description: '',
  bookable: true,
};

export function ServicesEditor({
  value,
  onChange,
}: {
  value: ServiceRow[];
  onChange: (next: ServiceRow[]) => void;
}) {
  const set = (i: number, patch: Partial<ServiceRow>) =>
    onChange(value.map((s, j) => (j === i ? { ...s, ...patch } : s)));
  return (
    <>
      {value.length === 0 ? <p class="muted">No services yet. Callers can still leave a lead.</p> : null}
      <ul class="editor-list">
        {value.map((s, i) => {
          const what = `Service ${i + 1}`;
          const id = `svc-${i}`;
          return (
            <li class="editor-item" key={i}>
              <div class="editor-item-head">
                <h3>{s.name.trim() || what}</h3>
                <Remove
                  label={`Remove ${what.toLowerCase()}`}
                  onClick={() => onChange(value.filter((_, j) => j !== i))}
                />
              </div>
              <div class="editor-grid">
                <div class="field">
                  <label for={`${id}-name`}>{what} name</label>
                  <input
                    id={`${id}-name`}
                    type="text"
                    value={s.name}
                    onInput={(e) => set(i, { name: valueOf(e) })}
                  />
                </div>
                <div class="field">
                  <label for={`${id}-minutes`}>{what} length (minutes)</label>
                  <input
                    id={`${id}-minutes`}
                    type="number"
                    min={1}
                    max={1440}
                    step={1}
                    inputMode="numeric"
                    value={s.durationMinutes}
                    onInput={(e) => set(i, { durationMinutes: valueOf(e) })}
                  />
                </div>
                <div class="field">
                  <label for={`${id}-price`}>{what} price</label>
                  <input
                    id={`${id}-price`}
                    type="text"
                    value={s.price}
                    placeholder="e.g. from $89"
                    onInput={(e) => set(i, { price: valueOf(e) })}
                  />
                </div>
                <div class="field wide">
                  <label for={`${id}-aliases`}>{what}: other words callers use</label>
                  <input
                    id={`${id}-aliases`}
                    type="text"
                    value={s.aliases}
                    placeholder="Separated by commas, e.g. clogged drain, slow drain"
                    onInput={(e) => set(i, { aliases: valueOf(e) })}
                  />
                </div>
                <div class="field wide">
                  <label for={`${id}-desc`}>{what} description</label>
                  <textarea
                    id={`${id}-desc`}
                    rows={2}
                    value={s.description}
                    onInput={(e) => set(i, { description: valueOf(e) })}
                  />
                </div>
              </div>
              <label class="check">
                <input
                  type="checkbox"
                  checked={s.bookable}
                  onChange={(e) => set(i, { bookable: (e.target as HTMLInputElement).checked })}
                />
                Callers can book {s.name.trim() ? s.name.trim() : `service ${i + 1}`}
              </label>
            </li>
          );
        })}
      </ul>
      <Button class="btn-small" onClick={() => onChange([...value, { ...BLANK_SERVICE }])}>
        Add service
      </Button>
    </>
  );
}

export function FaqEditor({ value, onChange }: { value: Faq[]; onChange: (next: Faq[]) => void }) {
  const set = (i: number, patch: Partial<Faq>) =>
    onChange(value.map((f, j) => (j === i ? { ...f, ...patch } : f)));
  return (
    <>
      {value.length === 0 ? <p class="muted">No questions yet.</p> : null}
      <ul class="editor-list">
        {value.map((f, i) => {
          const what = `FAQ ${i + 1}`;
          return (
            <li class="editor-item" key={i}>
              <div class="field">
                <label for={`faq-q-${i}`}>{what} question</label>
                <input
                  id={`faq-q-${i}`}
                  type="text"
                  value={f.question}
                  onInput={(e) => set(i, { question: valueOf(e) })}
                />
              </div>
              <div class="field">
                <label for={`faq-a-${i}`}>{what} answer</label>
                <textarea
                  id={`faq-a-${i}`}
                  rows={2}
                  value={f.answer}
                  onInput={(e) => set(i, { answer: valueOf(e) })}
                />
              </div>
              <div class="row-actions">
                <Remove label={`Remove ${what}`} onClick={() => onChange(value.filter((_, j) => j !== i))} />
              </div>
            </li>
          );
        })}
      </ul>
      <Button class="btn-small" onClick={() => onChange([...value, { question: '', answer: '' }])}>
        Add FAQ
      </Button>
    </>
  );
}

export function LeadQuestionsEditor({
  value,
  custom,
  plan,
  trade,
  limit,
  onChange,
}: {
  value: QuestionRow[];
  custom: boolean;
  plan: string;
  trade: string;
  limit: number | null;
  onChange: (next: QuestionRow[], custom: boolean) => void;
}) {
  const set = (i: number, patch: Partial<QuestionRow>) =>
    onChange(
      value.map((q, j) => (j === i ? { ...q, ...patch } : q)),
      true,
    );
  const canAdd = canAddQuestion(value, limit);
  const limitText = leadLimitText(plan, limit);
  const atLimit = limit !== null && value.length >= limit;
  return (
    <>
      <p class="muted">
        What the agent asks a caller who wants work done, in this order. Leave a question's wording empty to
        use the suggested one.
      </p>
      {!custom ? (
        <p class="field-hint">These are the agent's default questions; change any of them to use your own.</p>
      ) : null}
      <ol class="editor-list">
        {value.map((q, i) => {
          const n = i + 1;
          return (
            <li class="editor-item" key={i}>
              <div class="question-row">
                <div class="field">
                  <label for={`lq-${i}`}>Question {n}</label>
                  <input
                    id={`lq-${i}`}
                    type="text"
                    value={q.prompt}
                    placeholder={DEFAULT_PROMPTS[q.field]}
                    onInput={(e) => set(i, { prompt: valueOf(e) })}
                  />
                </div>
                <div class="field">
                  {/* "#n", not "question n": the question's own input alone is named "Question n". */}
                  <label for={`lq-field-${i}`}>Asks for</label>
                  <select
                    id={`lq-field-${i}`}
                    aria-label={`Asks for (#${n})`}
                    value={q.field}
                    onChange={(e) => set(i, { field: (e.target as HTMLSelectElement).value as LeadField })}
                  >
                    {LEAD_FIELDS.map((f) => (
                      <option key={f} value={f} disabled={f !== q.field && value.some((r) => r.field === f)}>
                        {LEAD_FIELD_NAMES[f]}
                      </option>
                    ))}
                  </select>
                </div>
                <label class="check">
                  <input
                    type="checkbox"
                    checked={q.required}
                    onChange={(e) => set(i, { required: (e.target as HTMLInputElement).checked })}
                    aria-label={`Required (#${n})`}
                  />
                  <span aria-hidden="true">Required</span>
                </label>
                <Remove
                  label={`Remove lead question #${n}`}
                  onClick={() =>
                    onChange(
                      value.filter((_, j) => j !== i),
                      true,
                    )
                  }
                />
              </div>
            </li>
          );
        })}
      </ol>
      <div class="limit-line">
        <Button
          class="btn-small"
          disabled={!canAdd}
          aria-describedby="lead-limit"
          onClick={() => {
            const field = nextField(value);
            if (field) onChange([...value, { field, prompt: '', required: true }], true);
          }}
        >
          Add question
        </Button>
        <span id="lead-limit" class={atLimit ? 'limit-reached' : 'muted'}>
          {limitText}
          {atLimit ? ' (limit reached)' : ''}
          {!atLimit && !canAdd ? ' (every kind of answer is already asked for)' : ''}.
        </span>
        {custom ? (
          <Button
            class="btn-small"
            variant="ghost"
            onClick={() =>
              onChange(
                defaultLeadFields(trade)
                  .slice(0, limit ?? undefined)
                  .map((field) => ({
                    field,
                    prompt: '',
                    required: true,
                  })),
                false,
              )
            }
          >
            Use the default questions
          </Button>
        ) : null}
      </div>
    </>
  );
}
