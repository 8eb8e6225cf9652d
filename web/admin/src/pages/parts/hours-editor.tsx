import { Button } from '../../ui';
import {
  hoursProblems,
  newHoliday,
  newRange,
  WEEKDAY_NAMES,
  type HoursForm,
  type TimeRange,
} from './hours-form';

/**
 * Opening hours: each weekday open or closed with one or more ranges (a lunch break is two), and
 * dated exceptions (holidays closed, or special hours). Every control is named after its day.
 */
export function HoursEditor({ value, onChange }: { value: HoursForm; onChange: (next: HoursForm) => void }) {
  const problems = hoursProblems(value);
  const setDay = (i: number, patch: Partial<HoursForm['days'][number]>) =>
    onChange({ ...value, days: value.days.map((d, j) => (j === i ? { ...d, ...patch } : d)) });
  const setHoliday = (i: number, patch: Partial<HoursForm['holidays'][number]>) =>
    onChange({ ...value, holidays: value.holidays.map((h, j) => (j === i ? { ...h, ...patch } : h)) });

  return (
    <>
      <div class="hours" role="group" aria-label="Weekly hours">
        {value.days.map((d, i) => {
          const name = WEEKDAY_NAMES[d.day];
          return (
            <div class="hours-day" key={d.day}>
              <label class="check">
                <input
                  type="checkbox"
                  checked={d.open}
                  onChange={(e) => setDay(i, { open: (e.target as HTMLInputElement).checked })}
                  aria-label={`Open on ${name}`}
                />
                <span aria-hidden="true">{name}</span>
              </label>
              {d.open ? (
                <Ranges
                  ranges={d.ranges}
                  what={name}
                  problem={problems.days[i] ?? ''}
                  onChange={(ranges) => setDay(i, { ranges })}
                />
              ) : (
                <span class="closed-text">Closed</span>
              )}
            </div>
          );
        })}
      </div>
      <h3 class="subhead">Holidays and special days</h3>
      {value.holidays.length === 0 ? (
        <p class="muted">None. Add a day the hours differ from the week's.</p>
      ) : null}
      <ul class="editor-list">
        {value.holidays.map((h, i) => {
          const what = `Holiday ${i + 1}`;
          return (
            <li class="editor-item" key={i}>
              <div class="editor-grid">
                <div class="field">
                  <label for={`hol-date-${i}`}>{what} date</label>
                  <input
                    id={`hol-date-${i}`}
                    type="date"
                    value={h.date}
                    onInput={(e) => setHoliday(i, { date: (e.target as HTMLInputElement).value })}
                  />
                </div>
                <div class="field">
                  <label for={`hol-name-${i}`}>{what} name</label>
                  <input
                    id={`hol-name-${i}`}
                    type="text"
                    value={h.name}
                    placeholder="e.g. Christmas Day"
                    onInput={(e) => setHoliday(i, { name: (e.target as HTMLInputElement).value })}
                  />
                </div>
              </div>
              <div class="range">
                <label class="check">
                  <input
                    type="checkbox"
                    checked={h.closed}
                    onChange={(e) => setHoliday(i, { closed: (e.target as HTMLInputElement).checked })}
                  />
                  Closed all day
                </label>
                <Button
                  class="btn-small push-right"
                  variant="ghost"
                  aria-label={`Remove ${what.toLowerCase()}`}
                  onClick={() => onChange({ ...value, holidays: value.holidays.filter((_, j) => j !== i) })}
                >
                  Remove
                </Button>
              </div>
              {!h.closed ? (
                <Ranges
                  ranges={h.ranges}
                  what={what}
                  problem=""
                  onChange={(ranges) => setHoliday(i, { ranges })}
                />
              ) : null}
              {problems.holidays[i] ? <p class="range-problem">{problems.holidays[i]}</p> : null}
            </li>
          );
        })}
      </ul>
      <Button
        class="btn-small"
        onClick={() => onChange({ ...value, holidays: [...value.holidays, newHoliday()] })}
      >
        Add a holiday
      </Button>
    </>
  );
}

function Ranges({
  ranges,
  what,
  problem,
  onChange,
}: {
  ranges: TimeRange[];
  what: string;
  problem: string;
  onChange: (next: TimeRange[]) => void;
}) {
  const set = (i: number, patch: Partial<TimeRange>) =>
    onChange(ranges.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <div class="ranges">
      {ranges.map((r, i) => {
        const n = ranges.length > 1 ? ` (${i + 1})` : '';
        return (
          <div class="range" key={i}>
            <input
              type="time"
              value={r.open}
              aria-label={`${what} opens${n}`}
              onInput={(e) => set(i, { open: (e.target as HTMLInputElement).value })}
            />
            <span aria-hidden="true">to</span>
            <input
              type="time"
              value={r.close}
              aria-label={`${what} closes${n}`}
              title="00:00 closes at midnight"
              onInput={(e) => set(i, { close: (e.target as HTMLInputElement).value })}
            />
            {ranges.length > 1 ? (
              <Button
                class="btn-small"
                variant="ghost"
                aria-label={`Remove ${what} hours${n}`}
                onClick={() => onChange(ranges.filter((_, j) => j !== i))}
              >
                Remove
              </Button>
            ) : null}
            {i === ranges.length - 1 && ranges.length < 4 ? (
              <Button
                class="btn-small"
                variant="ghost"
                aria-label={`Add ${what} hours`}
                onClick={() => onChange([...ranges, newRange(ranges[ranges.length - 1])])}
              >
                + Hours
              </Button>
            ) : null}
          </div>
        );
      })}
      {problem ? <p class="range-problem">{problem}</p> : null}
    </div>
  );
}
