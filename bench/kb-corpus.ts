/**
 * Deterministic made-up knowledge documents for the scale benchmark: plumbing, dental and legal
 * sections of varied sentences (a seeded word generator, so every run builds the same corpus and
 * no paragraph repeats), and questions worded from the same vocabulary.
 */

/** mulberry32: small, fast, good enough to pick words. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Trade {
  topics: string[];
  things: string[];
  actions: string[];
  qualities: string[];
  people: string[];
}

const TRADES: Record<'plumbing' | 'dental' | 'legal', Trade> = {
  plumbing: {
    topics: [
      'Water heaters',
      'Drain cleaning',
      'Leak repair',
      'Sump pumps',
      'Sewer lines',
      'Fixtures',
      'Gas lines',
      'Repiping',
      'Backflow testing',
      'Frozen pipes',
      'Garbage disposals',
      'Toilets',
    ],
    things: [
      'water heater',
      'tankless unit',
      'kitchen drain',
      'main sewer line',
      'sump pump',
      'shutoff valve',
      'copper pipe',
      'PEX line',
      'pressure regulator',
      'garbage disposal',
      'toilet flapper',
      'wax ring',
      'expansion tank',
      'anode rod',
      'cleanout',
      'backflow preventer',
      'gas valve',
      'hose bib',
    ],
    actions: [
      'inspect',
      'replace',
      'flush',
      'snake',
      'camera-scope',
      'reseal',
      'install',
      'repair',
      'pressure-test',
      'winterize',
      'descale',
      'hydro-jet',
    ],
    qualities: ['corroded', 'leaking', 'noisy', 'clogged', 'frozen', 'rusty', 'slow', 'cracked', 'outdated'],
    people: [
      'our licensed plumber',
      'the technician',
      'a master plumber',
      'the service crew',
      'our apprentice',
    ],
  },
  dental: {
    topics: [
      'Cleanings',
      'Fillings',
      'Crowns',
      'Root canals',
      'Whitening',
      'Orthodontics',
      'Implants',
      'Extractions',
      'Pediatric care',
      'Insurance',
      'Emergencies',
      'Dentures',
    ],
    things: [
      'molar',
      'crown',
      'composite filling',
      'clear aligner',
      'night guard',
      'implant post',
      'bridge',
      'wisdom tooth',
      'gum line',
      'enamel',
      'x-ray',
      'fluoride varnish',
      'sealant',
      'veneer',
      'retainer',
    ],
    actions: [
      'examine',
      'clean',
      'polish',
      'numb',
      'extract',
      'fit',
      'bond',
      'whiten',
      'adjust',
      'scan',
      'restore',
      'reshape',
    ],
    qualities: [
      'sensitive',
      'chipped',
      'stained',
      'loose',
      'swollen',
      'painful',
      'crooked',
      'worn',
      'decayed',
    ],
    people: ['the hygienist', 'Dr. Patel', 'our orthodontist', 'the dental assistant', 'the front desk'],
  },
  legal: {
    topics: [
      'Consultations',
      'Wills',
      'Estate planning',
      'Leases',
      'Small claims',
      'Contracts',
      'Fees',
      'Power of attorney',
      'Probate',
      'Business formation',
      'Evictions',
      'Trademarks',
    ],
    things: [
      'retainer agreement',
      'lease clause',
      'last will',
      'living trust',
      'court filing',
      'deposition',
      'operating agreement',
      'deed',
      'settlement offer',
      'demand letter',
      'notarized copy',
      'escrow account',
    ],
    actions: [
      'review',
      'draft',
      'file',
      'negotiate',
      'notarize',
      'amend',
      'witness',
      'serve',
      'record',
      'dispute',
      'mediate',
      'archive',
    ],
    qualities: ['binding', 'disputed', 'expired', 'unsigned', 'urgent', 'contested', 'incomplete', 'revised'],
    people: ['the attorney', 'a paralegal', 'our senior partner', 'the legal assistant', 'the notary'],
  },
};
export const TRADE_NAMES = Object.keys(TRADES) as (keyof typeof TRADES)[];

const PLACES = ['Springfield', 'Riverton', 'Oak Park', 'Lakeside', 'Hillcrest', 'Maple Grove', 'Brookfield'];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const LINKS = ['Usually', 'In most homes', 'For most clients', 'As a rule', 'When possible', 'Each time'];

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)]!;
}

function sentence(rnd: () => number, t: Trade): string {
  const thing = pick(rnd, t.things);
  const form = Math.floor(rnd() * 8);
  const price = `$${(Math.floor(rnd() * 90) + 5) * 10}`;
  switch (form) {
    case 0:
      return `${cap(pick(rnd, t.people))} will ${pick(rnd, t.actions)} a ${pick(rnd, t.qualities)} ${thing} for ${price}.`;
    case 1:
      return `A ${pick(rnd, t.qualities)} ${thing} usually takes ${1 + Math.floor(rnd() * 5)} hours to ${pick(rnd, t.actions)}.`;
    case 2:
      return `We serve ${pick(rnd, PLACES)} and ${pick(rnd, PLACES)} on ${pick(rnd, DAYS)}s, and ${pick(rnd, t.people)} can ${pick(rnd, t.actions)} your ${thing} the same week.`;
    case 3:
      return `${pick(rnd, LINKS)}, we ${pick(rnd, t.actions)} the ${thing} before we ${pick(rnd, t.actions)} anything else.`;
    case 4:
      return `If your ${thing} is ${pick(rnd, t.qualities)}, call us and ask ${pick(rnd, t.people)} about the ${pick(rnd, t.things)}.`;
    case 5:
      return `The ${thing} warranty covers ${1 + Math.floor(rnd() * 10)} years of parts and ${1 + Math.floor(rnd() * 3)} of labour.`;
    case 6:
      return `Prices for a ${thing} start at ${price}; a ${pick(rnd, t.qualities)} one may cost more.`;
    default:
      return `Ask about our ${pick(rnd, t.topics).toLowerCase()} plan, which includes a yearly check of the ${thing}.`;
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** One Markdown document of about `bytes` characters: sections of paragraphs of varied sentences. */
export function makeDocument(seed: number, bytes: number): { title: string; markdown: string } {
  const rnd = seeded(seed);
  const tradeName = TRADE_NAMES[seed % TRADE_NAMES.length]!;
  const t = TRADES[tradeName];
  const title = `${cap(tradeName)} handbook ${seed}`;
  const parts: string[] = [`# ${title}\n`];
  let size = parts[0]!.length;
  while (size < bytes) {
    const heading = `## ${pick(rnd, t.topics)} in ${pick(rnd, PLACES)}\n`;
    parts.push(heading);
    size += heading.length;
    const paragraphs = 4 + Math.floor(rnd() * 7);
    for (let p = 0; p < paragraphs && size < bytes; p++) {
      const n = 3 + Math.floor(rnd() * 6);
      const para = Array.from({ length: n }, () => sentence(rnd, t)).join(' ') + '\n';
      parts.push(para);
      size += para.length + 1;
    }
  }
  return { title, markdown: parts.join('\n') };
}

/** Questions a caller might ask of such a corpus. */
export function makeQuestions(seed: number, n: number): string[] {
  const rnd = seeded(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = TRADES[pick(rnd, TRADE_NAMES)];
    const forms = [
      `how much does it cost to ${pick(rnd, t.actions)} a ${pick(rnd, t.qualities)} ${pick(rnd, t.things)}`,
      `do you ${pick(rnd, t.actions)} ${pick(rnd, t.things)}s in ${pick(rnd, PLACES)}`,
      `what is the warranty on a ${pick(rnd, t.things)}`,
      `my ${pick(rnd, t.things)} is ${pick(rnd, t.qualities)} can someone come on ${pick(rnd, DAYS)}`,
    ];
    out.push(pick(rnd, forms));
  }
  return out;
}
