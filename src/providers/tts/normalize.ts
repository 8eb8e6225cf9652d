/**
 * Rewrites text so a receptionist reads it right: phone numbers digit by digit in groups,
 * prices as "120 dollars", "9am-5pm" as "9 a.m. to 5 p.m.", emails, abbreviations, and plain
 * ASCII (flite reads UTF-8 bytes as garbage). Numbers themselves stay as digits: flite reads
 * "120", "10:30", "3.5" and "21st" well, and this only fixes what it gets wrong.
 */
export function normalizeForSpeech(text: string): string {
  let t = stripMarkdown(text);
  t = prices(t); // before toAscii, which would drop the euro and pound signs
  t = toAscii(t);
  t = emailsAndWebsites(t);
  t = phoneNumbers(t);
  t = clockTimes(t);
  t = dates(t);
  t = abbreviations(t);
  t = symbols(t);
  return t
    .replace(/\s+/g, ' ')
    .replace(/\s+([,.!?;:])/g, '$1')
    .trim();
}

/** "5551234567" -> "5 5 5, 1 2 3, 4 5 6 7". */
export function spellDigits(...groups: string[]): string {
  return groups.map((g) => g.replace(/\D/g, '').split('').join(' ')).join(', ');
}

function stripMarkdown(t: string): string {
  return t
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/^\s{0,3}#{1,6}\s+/gm, '')
    .replace(/^\s*(?:[-*+]|\d+[.)])\s+/gm, '')
    .replace(/(\*\*|__|`)/g, '')
    .replace(/(^|\s)\*(\S[^*]*)\*(?=\s|[.,!?;:]|$)/g, '$1$2');
}

const CURRENCIES: Record<string, [string, string, string, string]> = {
  $: ['dollar', 'dollars', 'cent', 'cents'],
  '€': ['euro', 'euros', 'cent', 'cents'],
  '£': ['pound', 'pounds', 'penny', 'pence'],
};

// prettier-ignore
const PER_UNIT: Record<string, string> = {
  mo: 'month', month: 'month', yr: 'year', year: 'year', wk: 'week', week: 'week', day: 'day',
  hr: 'hour', hour: 'hour', visit: 'visit', person: 'person', unit: 'unit', night: 'night',
};

function prices(t: string): string {
  const price =
    /([$€£])\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?(?:\s?(million|billion|thousand|k)\b)?(?:\s?\/\s?([a-z]+)\b)?/gi;
  return t.replace(
    price,
    (whole, sym: string, int: string, dec: string | undefined, scale: string | undefined, per?: string) => {
      const names = CURRENCIES[sym];
      if (!names) return whole;
      const [one, many, centOne, centMany] = names;
      const units = int.replace(/,/g, '');
      let spoken: string;
      if (scale) {
        const word = scale.toLowerCase() === 'k' ? 'thousand' : scale.toLowerCase();
        spoken = `${units}${dec ? `.${dec}` : ''} ${word} ${many}`;
      } else {
        const cents = dec ? Number(dec.padEnd(2, '0')) : 0;
        const n = Number(units);
        const parts: string[] = [];
        if (n > 0 || cents === 0) parts.push(`${units} ${n === 1 ? one : many}`);
        if (cents > 0) parts.push(`${cents} ${cents === 1 ? centOne : centMany}`);
        spoken = parts.join(' and ');
      }
      const unit = per ? PER_UNIT[per.toLowerCase()] : undefined;
      if (per && !unit) return `${spoken} per ${per}`;
      return unit ? `${spoken} per ${unit}` : spoken;
    },
  );
}

function toAscii(t: string): string {
  return (
    t
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .replace(/[‘’‚‛′`]/g, "'")
      .replace(/[“”„‟″«»]/g, '"')
      .replace(/…/g, '...')
      .replace(/\u00a0/g, ' ')
      // An en dash between words or numbers is a range: "9–5", "Mon–Fri".
      .replace(/([\p{L}\p{N}.])\s?–\s?(?=[\p{L}\p{N}])/gu, '$1 to ')
      .replace(/\s*[–—―]\s*/g, ', ')
      .replace(/°\s?F\b/g, ' degrees Fahrenheit')
      .replace(/°\s?C\b/g, ' degrees Celsius')
      .replace(/°/g, ' degrees')
      .replace(/×/g, ' by ')
      .replace(/[^\t\n\r\x20-\x7e]/g, ' ')
  );
}

function emailsAndWebsites(t: string): string {
  const spellHost = (host: string): string =>
    host
      .split('.')
      .map((part) => (part.toLowerCase() === 'www' ? 'w w w' : part))
      .join(' dot ');
  return t
    .replace(
      /\b([\w.+-]+)@([\w-]+(?:\.[\w-]+)+)\b/g,
      (_m, user: string, host: string) =>
        `${user.split('.').join(' dot ').replace(/_/g, ' underscore ')} at ${spellHost(host)}`,
    )
    .replace(/\bhttps?:\/\//gi, '')
    .replace(
      /\b((?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|co|us|biz|info|ai|dev|app))\b(\/[\w/-]*)?/gi,
      (_m, host: string, path: string | undefined) =>
        spellHost(host) +
        (path
          ? path
              .split('/')
              .filter(Boolean)
              .map((p) => ` slash ${p}`)
              .join('')
          : ''),
    );
}

function phoneNumbers(t: string): string {
  return (
    t
      // North American: "+1 (555) 123-4567", "555.123.4567", "5551234567"; the country code is not read.
      .replace(
        /(?<![\w+$.,])(?:\+?1[\s.-]?)?(?:\((\d{3})\)\s?|(\d{3})[\s.-]?)(\d{3})[\s.-]?(\d{4})(?![\w-])/g,
        (_m, paren: string | undefined, area: string | undefined, exchange: string, line: string) =>
          spellDigits(paren ?? area ?? '', exchange, line),
      )
      // International: "+44 20 7946 0958" -> "plus 4 4, 2 0, 7 9 4 6, 0 9 5 8".
      .replace(
        /(?<![\w+])\+(\d{1,3})((?:[\s.-]?\d{1,5}){2,6})(?![\w])/g,
        (_m, country: string, rest: string) => {
          const groups = rest.split(/[\s.-]+/).filter(Boolean);
          const parts = groups.length > 1 ? groups : (groups[0]?.match(/\d{1,3}/g) ?? []);
          return `plus ${spellDigits(country, ...parts)}`;
        },
      )
      // Local seven digits: "555-1234".
      .replace(/(?<![\w$.,-])(\d{3})-(\d{4})(?![\w-])/g, (_m, a: string, b: string) => spellDigits(a, b))
      .replace(/\b911\b/g, '9 1 1')
      .replace(/\bext\.?\s?(\d+)/gi, (_m, n: string) => `extension ${spellDigits(n)}`)
  );
}

const MERIDIEM = String.raw`([ap])\.?\s?m\b\.?`;

function clockTimes(t: string): string {
  const time = String.raw`(\d{1,2})(?::(\d{2}))?`;
  const spoken = (h: string, m: string | undefined, ap: string | undefined): string =>
    `${h}${m ? `:${m}` : ''}${ap ? ` ${ap.toLowerCase()}.m.` : ''}`;
  return (
    t
      // "9am-5pm", "9-5 pm", "9:30 am - 1 pm" -> "9 a.m. to 5 p.m."
      .replace(
        new RegExp(String.raw`\b${time}\s?(?:${MERIDIEM})?\s?(?:-|to)\s?${time}\s?${MERIDIEM}`, 'gi'),
        (_m, h1: string, m1?: string, ap1?: string, h2?: string, m2?: string, ap2?: string) =>
          `${spoken(h1, m1, ap1)} to ${spoken(h2 ?? '', m2, ap2)}`,
      )
      .replace(
        new RegExp(String.raw`\b${time}\s?${MERIDIEM}`, 'gi'),
        (_m, h: string, m?: string, ap?: string) => spoken(h, m, ap),
      )
  );
}

// prettier-ignore
const MONTHS = [
  'January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September',
  'October', 'November', 'December',
];

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

function dates(t: string): string {
  const date = (m: string, d: string, y?: string): string =>
    `${MONTHS[Number(m) - 1] ?? m} ${ordinal(Number(d))}${y ? `, ${y.length === 2 ? `20${y}` : y}` : ''}`;
  return (
    t
      // "3/14/2025" anywhere; "3/14" only after a word that makes it a date ("on 3/14", not "1/2 inch").
      .replace(
        /\b(1[0-2]|0?[1-9])\/(3[01]|[12]\d|0?[1-9])\/(\d{4}|\d{2})\b/g,
        (_m, m: string, d: string, y: string) => date(m, d, y),
      )
      .replace(
        /\b(on|by|until|till|before|after|from|for|since|through|thru)\s(1[0-2]|0?[1-9])\/(3[01]|[12]\d|0?[1-9])\b(?!\/)/gi,
        (_m, w: string, m: string, d: string) => `${w} ${date(m, d)}`,
      )
      .replace(
        /\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?(?=\s\d)/g,
        (m: string) => MONTHS.find((full) => full.startsWith(m.replace('.', '').slice(0, 3))) ?? m,
      )
  );
}

// prettier-ignore
const WEEKDAYS: Record<string, string> = {
  mon: 'Monday', tue: 'Tuesday', tues: 'Tuesday', wed: 'Wednesday', thu: 'Thursday',
  thur: 'Thursday', thurs: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday',
};

const WORDS: [RegExp, string][] = [
  [/\be\.g\.(?=\s|,|$)/gi, 'for example'],
  [/\bi\.e\.(?=\s|,|$)/gi, 'that is'],
  [/\betc\b/gi, 'et cetera'],
  [/\bvs\b\.?/gi, 'versus'],
  [/\bapprox\b\.?/gi, 'approximately'],
  [/\bAve\b/g, 'Avenue'],
  [/\bBlvd\b/g, 'Boulevard'],
  [/\bRd\b/g, 'Road'],
  [/\bLn\b/g, 'Lane'],
  [/\bHwy\b/g, 'Highway'],
  [/\bPkwy\b/g, 'Parkway'],
  [/\bSte\b\.?(?=\s?\d)/g, 'Suite'],
  [/\bApt\b\.?(?=\s?\d)/g, 'Apartment'],
  [/\bsq\.?\s?ft\b\.?/gi, 'square feet'],
  [/(\d)\s?ft\b/g, '$1 feet'],
  [/(\d)\s?lbs?\b/g, '$1 pounds'],
  [/(\d)\s?hrs?\b/g, '$1 hours'],
  [/(\d)\s?mins?\b/g, '$1 minutes'],
  [/\b24\/7\b/g, '24 7'],
  [/\bFAQs?\b/g, 'F A Qs'],
];

function abbreviations(t: string): string {
  let out = t;
  // Weekday ranges and lists: "Mon-Fri", "Mon - Fri", "Sat/Sun".
  const day = String.raw`(Mon|Tues?|Wed|Thu(?:rs?)?|Fri|Sat|Sun)(?:day|nesday|sday|rsday|urday)?`;
  out = out.replace(
    new RegExp(String.raw`\b${day}\.?\s?(-|/)\s?${day}(?![\p{L}])`, 'gu'),
    (_m, a: string, sep: string, b: string) =>
      `${WEEKDAYS[a.toLowerCase()] ?? a} ${sep === '-' ? 'to' : 'and'} ${WEEKDAYS[b.toLowerCase()] ?? b}`,
  );
  // Lone abbreviations that are not also words ("Sat", "Sun", "Wed" are left alone).
  out = out.replace(/\b(Mon|Tues?|Thu(?:rs?)?|Fri)\b/g, (m: string) => WEEKDAYS[m.toLowerCase()] ?? m);
  for (const [pattern, replacement] of WORDS) out = out.replace(pattern, replacement);
  // The abbreviation's full stop, now after a full word, would read as a sentence end.
  const expanded = [...Object.values(WEEKDAYS), ...MONTHS, 'Avenue', 'Boulevard', 'Road', 'Lane', 'Highway'];
  return out.replace(new RegExp(String.raw`\b(${expanded.join('|')}|Parkway)\.(?=\s+[a-z0-9])`, 'g'), '$1');
}

function symbols(t: string): string {
  return t
    .replace(/\s?&\s?/g, ' and ')
    .replace(/#\s?(\d)/g, 'number $1')
    .replace(/(\d)\s?\+(?=\s|$)/g, '$1 plus')
    .replace(/@/g, ' at ')
    .replace(/[*_~^|<>{}[\]\\#]/g, ' ');
}
