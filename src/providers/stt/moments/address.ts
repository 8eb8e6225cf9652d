/** The address moment: after "what's the address?": house numbers, common street names, suffixes. */

const STREETS = [
  'main',
  'oak',
  'maple',
  'pine',
  'cedar',
  'elm',
  'park',
  'lake',
  'hill',
  'washington',
  'lincoln',
  'jefferson',
  'madison',
  'franklin',
  'church',
  'spring',
  'river',
  'sunset',
  'highland',
  'walnut',
  'willow',
  'forest',
  'meadow',
  'ridge',
  'valley',
  'center',
  'mill',
  'north',
  'south',
  'east',
  'west',
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
  'market',
  'broadway',
  'chestnut',
  'jackson',
  'adams',
  'grant',
  'hickory',
  'birch',
  'dogwood',
  'cherry',
  'college',
  'school',
  'union',
  'water',
  'bridge',
  'king',
  'queen',
  'prospect',
  'grove',
  'orchard',
];
const SUFFIXES = [
  'street',
  'avenue',
  'road',
  'drive',
  'lane',
  'court',
  'boulevard',
  'way',
  'place',
  'circle',
  'parkway',
  'terrace',
];
const NUMBERS = [
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
  'fifteen',
  'twenty',
  'thirty',
  'forty',
  'fifty',
  'sixty',
  'seventy',
  'eighty',
  'ninety',
  'hundred',
  'oh',
];

export function addressPhrases(): string[] {
  const out: string[] = [];
  for (let i = 0; i < STREETS.length; i++) {
    const street = `${STREETS[i]} ${SUFFIXES[i % SUFFIXES.length]}`;
    const n1 = NUMBERS[i % NUMBERS.length];
    const n2 = NUMBERS[(i * 5 + 3) % NUMBERS.length];
    const n3 = NUMBERS[(i * 3 + 7) % NUMBERS.length];
    out.push(street, `${n1} ${street}`, `${n1} ${n2} ${street}`, `${n1} ${n2} ${n3} ${street}`);
    out.push(`it's ${n2} ${n3} ${street}`, `the address is ${n3} ${n1} ${street}`, `i live on ${street}`);
    out.push(`${STREETS[i]} ${SUFFIXES[(i + 5) % SUFFIXES.length]}`);
  }
  for (const s of SUFFIXES) out.push(`${NUMBERS[s.length % NUMBERS.length]} main ${s}`);
  for (const a of NUMBERS) for (const b of NUMBERS.slice(0, 12)) out.push(`${a} ${b}`);
  out.push('apartment', 'apartment four', 'unit two', 'suite one hundred', 'north', 'south', 'east', 'west');
  return out;
}
