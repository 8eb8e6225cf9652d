import { describe, expect, it } from 'vitest';
import { normalizeForSpeech, spellDigits } from '../../../src/providers/tts/index.js';

const cases: Record<string, [string, string][]> = {
  'phone numbers, digit by digit in groups': [
    ['+1 555 123 4567', '5 5 5, 1 2 3, 4 5 6 7'],
    ['Call us at +1 555 123 4567.', 'Call us at 5 5 5, 1 2 3, 4 5 6 7.'],
    ['(555) 123-4567', '5 5 5, 1 2 3, 4 5 6 7'],
    ['555.123.4567', '5 5 5, 1 2 3, 4 5 6 7'],
    ['5551234567', '5 5 5, 1 2 3, 4 5 6 7'],
    ['+15551234567', '5 5 5, 1 2 3, 4 5 6 7'],
    ['1-800-555-0199', '8 0 0, 5 5 5, 0 1 9 9'],
    ['Call 555-1234 now', 'Call 5 5 5, 1 2 3 4 now'],
    ['Our UK office is +44 20 7946 0958.', 'Our UK office is plus 4 4, 2 0, 7 9 4 6, 0 9 5 8.'],
    ['Call 911 if you smell gas.', 'Call 9 1 1 if you smell gas.'],
    ['Dial ext. 204', 'Dial extension 2 0 4'],
  ],
  'numbers that are not phone numbers stay numbers': [
    ['We have 200 trucks.', 'We have 200 trucks.'],
    ['The rate is 3.5 percent.', 'The rate is 3.5 percent.'],
    ['In 2025 we grew 12,000 customers.', 'In 2025 we grew 12,000 customers.'],
    ['Zip 62704', 'Zip 62704'],
  ],
  prices: [
    ['It costs $120.', 'It costs 120 dollars.'],
    ['$120.50', '120 dollars and 50 cents'],
    ['$1,200', '1200 dollars'],
    ['$1', '1 dollar'],
    ['$0.50', '50 cents'],
    ['$0.01', '1 cent'],
    ['$4.5', '4 dollars and 50 cents'],
    ['$2.5 million', '2.5 million dollars'],
    ['$50k', '50 thousand dollars'],
    ['Only $99.99/month', 'Only 99 dollars and 99 cents per month'],
    ['$85/hr', '85 dollars per hour'],
    ['€20 or £5', '20 euros or 5 pounds'],
  ],
  'times and ranges': [
    ['We open at 10:30 am.', 'We open at 10:30 a.m.'],
    ['at 2:05 PM', 'at 2:05 p.m.'],
    ['at 2pm', 'at 2 p.m.'],
    ['at 9 A.M. sharp', 'at 9 a.m. sharp'],
    ['Open 9am-5pm Mon-Fri.', 'Open 9 a.m. to 5 p.m. Monday to Friday.'],
    ['Sat 10 AM - 2 PM', 'Sat 10 a.m. to 2 p.m.'],
    ['from 9 to 5 pm', 'from 9 to 5 p.m.'],
    ['Open 9–5 Mon–Fri', 'Open 9 to 5 Monday to Friday'],
    ['Open Mon. through Fri.', 'Open Monday through Friday.'],
    ['Sat/Sun closed', 'Saturday and Sunday closed'],
    ['It is 10:30 now', 'It is 10:30 now'],
  ],
  dates: [
    ['Your appointment is on 3/14 at 2pm.', 'Your appointment is on March 14th at 2 p.m.'],
    ['Due 12/31/2025', 'Due December 31st, 2025'],
    ['by 1/2/25', 'by January 2nd, 2025'],
    ['Use a 1/2 inch pipe', 'Use a 1/2 inch pipe'],
    ['Jan 5 works', 'January 5 works'],
    ['on 11/22', 'on November 22nd'],
  ],
  'emails and websites': [
    ['Email bob.smith@acme-plumbing.com', 'Email bob dot smith at acme-plumbing dot com'],
    ['Visit www.acme.com/book today', 'Visit w w w dot acme dot com slash book today'],
    ['See https://acme.io', 'See acme dot io'],
  ],
  'symbols, abbreviations and unicode': [
    ['We’re open — aren’t we?', "We're open, aren't we?"],
    ['“Quoted” text…', '"Quoted" text...'],
    ['It is 72°F at the café', 'It is 72 degrees Fahrenheit at the cafe'],
    ['Item #4 & more', 'Item number 4 and more'],
    ['Open 24/7, 10+ years', 'Open 24 7, 10 plus years'],
    ['12 Oak Ave, Ste 4', '12 Oak Avenue, Suite 4'],
    ['Main Rd. is closed', 'Main Road is closed'],
    ['approx. 3 hrs, e.g. pipes, etc.', 'approximately 3 hours, for example pipes, et cetera.'],
    ['25 ft of hose, 5 lbs', '25 feet of hose, 5 pounds'],
    ['Plumbing vs. heating', 'Plumbing versus heating'],
    ['Hi 😀 there', 'Hi there'],
  ],
  'markdown from an LLM': [
    ['**Great!** Here is *the* plan', 'Great! Here is the plan'],
    ['## Hours\n- Monday\n- Tuesday', 'Hours Monday Tuesday'],
    ['See [our site](https://acme.com) or `code`', 'See our site or code'],
  ],
};

describe('normalizeForSpeech', () => {
  for (const [group, pairs] of Object.entries(cases)) {
    describe(group, () => {
      it.each(pairs)('%j -> %j', (input, expected) => {
        expect(normalizeForSpeech(input)).toBe(expected);
      });
    });
  }

  it('leaves plain sentences untouched', () => {
    const text = 'Thanks for calling Acme Plumbing. How can I help you today?';
    expect(normalizeForSpeech(text)).toBe(text);
  });

  it('outputs only printable ASCII', () => {
    expect(normalizeForSpeech('Ça coûte 5 € — naïve “quotes” 🙂 ½')).toMatch(/^[\x20-\x7e]*$/);
  });
});

describe('spellDigits', () => {
  it('separates digits with spaces and groups with commas', () => {
    expect(spellDigits('555', '123-', '4567')).toBe('5 5 5, 1 2 3, 4 5 6 7');
  });
});
