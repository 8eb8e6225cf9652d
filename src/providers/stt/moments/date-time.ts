/** The date-time moment: after "what day and time works for you?". */

const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const HOURS = [
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
];
const PARTS = ['morning', 'afternoon', 'evening'];
const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const ORDINALS = [
  'first',
  'second',
  'third',
  'fourth',
  'fifth',
  'sixth',
  'seventh',
  'eighth',
  'ninth',
  'tenth',
  'eleventh',
  'twelfth',
  'thirteenth',
  'fourteenth',
  'fifteenth',
  'sixteenth',
  'seventeenth',
  'eighteenth',
  'nineteenth',
  'twentieth',
  'twenty first',
  'twenty second',
  'twenty third',
  'twenty fourth',
  'twenty fifth',
  'thirtieth',
  'thirty first',
];

export function dateTimePhrases(): string[] {
  const out: string[] = [];
  const daysAll = [...DAYS, 'today', 'tomorrow', 'tonight'];
  for (const d of daysAll) out.push(d);
  for (let i = 0; i < DAYS.length; i++) {
    const d = DAYS[i]!;
    out.push(`next ${d}`, `this ${d}`, `on ${d}`, `${d} ${PARTS[i % 3]}`, `next ${d} ${PARTS[(i + 1) % 3]}`);
  }
  for (let i = 0; i < HOURS.length; i++) {
    const h = HOURS[i]!;
    const d = daysAll[i % daysAll.length]!;
    out.push(
      `at ${h}`,
      `${h} o'clock`,
      `${h} thirty`,
      `${h} fifteen`,
      `${h} forty five`,
      `${h} am`,
      `${h} pm`,
      `${h} in the ${PARTS[i % 3]}`,
      `${d} at ${h}`,
      `${d} at ${h} thirty`,
      `${DAYS[(i + 3) % 7]} at ${h} in the ${PARTS[(i + 1) % 3]}`,
      `how about ${DAYS[(i + 5) % 7]} at ${h}`,
      `tomorrow at ${h}`,
      `can you come ${d} at ${h}`,
    );
  }
  for (const d of daysAll) for (const p of PARTS) out.push(`${d} ${p}`, `${d} in the ${p}`);
  for (const d of DAYS) for (const p of PARTS) out.push(`next ${d} ${p}`);
  out.push('this morning', 'this afternoon', 'this evening', 'tomorrow morning', 'tomorrow afternoon');
  for (let i = 0; i < MONTHS.length; i++) {
    out.push(
      `${MONTHS[i]} ${ORDINALS[(i * 5) % ORDINALS.length]}`,
      `the ${ORDINALS[(i * 3) % ORDINALS.length]}`,
    );
  }
  for (const o of ORDINALS) out.push(`on the ${o}`);
  out.push(
    'as soon as possible',
    'asap',
    'any time',
    'anytime is fine',
    'whenever you can',
    'right away',
    'next week',
    'this week',
    'later this week',
    'the weekend',
    'in the morning',
    'in the afternoon',
    'noon',
    'at noon',
    'midday',
    'first thing in the morning',
    'after lunch',
    'after five',
    'before noon',
  );
  return out;
}
