/**
 * Mutations of valid messages for the fuzz benches and tests: a seeded generator (the same seed
 * gives the same run), and the ways a message goes wrong on the wire: bit flips, truncation,
 * values of another type, huge strings, deep nesting, odd unicode, missing and extra fields,
 * wrong event names, bad base64; and for a form body, the same for its parameters.
 */

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

const ODD_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\uD800', // a lone surrogate
  '\u202Eevil',
  '😀'.repeat(50),
  'Ａ',
  '\r\n\r\n',
  '<Response><Hangup/></Response>',
  "'; drop table calls; --",
  '../../../../etc/passwd',
  '%00%ff',
  '${jndi:ldap://x}',
  '__proto__',
  'constructor',
  'null',
  'NaN',
  '-1',
  '1e309',
  '+15005550006',
  'whatsapp:+15005550006',
  'CA' + 'f'.repeat(32),
];

/** A value of some other kind than the one it replaces. */
export function oddValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 2 ? 9 : 11)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -1, 1.5, 2 ** 53, -(2 ** 31), 1e308]);
    case 3:
      return rng.pick(ODD_STRINGS);
    case 4:
      return 'x'.repeat(rng.pick([256, 4096, 70_000]));
    case 5:
      return randomUnicode(rng, 1 + rng.int(40));
    case 6:
      return [];
    case 7:
      return {};
    case 8:
      return badBase64(rng);
    case 9:
      return [oddValue(rng, depth + 1), oddValue(rng, depth + 1)];
    default:
      return { [rng.pick(['a', '__proto__', 'constructor', 'event'])]: oddValue(rng, depth + 1) };
  }
}

export function randomUnicode(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const range = rng.pick([
      [0x20, 0x7e],
      [0x00, 0x1f],
      [0x80, 0x2ff],
      [0x590, 0x6ff],
      [0x4e00, 0x9fff],
      [0xd800, 0xdfff],
      [0xfff0, 0xffff],
    ] as const);
    s += String.fromCharCode(range[0] + rng.int(range[1] - range[0] + 1));
  }
  return s;
}

export function badBase64(rng: Rng): string {
  return rng.pick([
    '!!!!',
    'A',
    'AB=',
    '====',
    '/'.repeat(161),
    '\u00ff\u00fe',
    'QUJD'.repeat(5000),
    ' ',
    '',
  ]);
}

function nested(rng: Rng, depth: number): unknown {
  let v: unknown = oddValue(rng);
  for (let i = 0; i < depth; i++) v = rng.chance(0.5) ? [v] : { a: v };
  return v;
}

type Json = Record<string, unknown>;

/** Some path to a value inside an object (keys), chosen at random. */
function somePath(rng: Rng, obj: Json): string[] {
  const path: string[] = [];
  let cur: unknown = obj;
  while (cur && typeof cur === 'object' && !Array.isArray(cur)) {
    const keys = Object.keys(cur as Json);
    if (keys.length === 0) break;
    const k = rng.pick(keys);
    path.push(k);
    cur = (cur as Json)[k];
    if (rng.chance(0.4)) break;
  }
  return path;
}

function setAt(obj: Json, path: string[], value: unknown, remove = false): void {
  let cur = obj;
  for (const k of path.slice(0, -1)) {
    const next = cur[k];
    if (!next || typeof next !== 'object') return;
    cur = next as Json;
  }
  const last = path.at(-1);
  if (last === undefined) return;
  if (remove) delete cur[last];
  else cur[last] = value;
}

/** One JSON message, wrong in one or a few ways; sometimes no longer JSON at all. */
export function mutateJson(rng: Rng, seed: Json, eventKey = 'event'): string {
  const obj = structuredClone(seed);
  const rounds = 1 + rng.int(3);
  for (let r = 0; r < rounds; r++) {
    const path = somePath(rng, obj);
    switch (rng.int(9)) {
      case 0:
        setAt(obj, path, oddValue(rng)); // type swap, huge string, unicode, base64...
        break;
      case 1:
        setAt(obj, path, undefined, true); // missing field
        break;
      case 2:
        obj[rng.pick(['extra', '__proto__', 'constructor', 'prototype', randomUnicode(rng, 4)])] =
          oddValue(rng);
        break;
      case 3:
        obj[eventKey] = rng.pick([
          '',
          'Media',
          'start ',
          'stop\u0000',
          'unknown',
          'mark',
          'media',
          'hello',
          'message',
          'dtmf',
          'hangup',
          'connected',
          'clear',
        ]);
        break;
      case 4:
        setAt(obj, path, nested(rng, rng.pick([10, 100, 2000])));
        break;
      case 5:
        setAt(obj, path, badBase64(rng));
        break;
      case 6:
        setAt(obj, path, randomUnicode(rng, 1 + rng.int(64)));
        break;
      case 7:
        setAt(obj, path, rng.pick(ODD_STRINGS));
        break;
      default:
        setAt(obj, path, 'y'.repeat(rng.pick([1000, 10_000, 100_000])));
    }
  }
  let text: string;
  try {
    text = JSON.stringify(obj);
  } catch {
    text = '{"event":"media"}';
  }
  switch (rng.int(8)) {
    case 0:
      return text.slice(0, rng.int(text.length)); // truncated
    case 1:
      return flipBits(rng, text);
    case 2:
      return rng.pick(['', 'null', '[]', '"str"', '42', 'true', '{', '}{', text + text, '\u0000'.repeat(8)]);
    default:
      return text;
  }
}

export function flipBits(rng: Rng, text: string): string {
  const bytes = Buffer.from(text);
  const flips = 1 + rng.int(8);
  for (let i = 0; i < flips && bytes.length > 0; i++) bytes[rng.int(bytes.length)]! ^= 1 << rng.int(8);
  return bytes.toString('latin1');
}

export type FormParams = Record<string, string | string[]>;

/** A form body's parameters, wrong in one or a few ways (still parameters: it can be signed). */
export function mutateForm(rng: Rng, seed: Record<string, string>): FormParams {
  const p: FormParams = { ...seed };
  const rounds = 1 + rng.int(3);
  for (let r = 0; r < rounds; r++) {
    const keys = Object.keys(p);
    const k = keys.length ? rng.pick(keys) : 'CallSid';
    switch (rng.int(8)) {
      case 0:
        delete p[k];
        break;
      case 1:
        p[rng.pick(['Extra', '__proto__', 'constructor', 'toString', randomUnicode(rng, 5)])] =
          rng.pick(ODD_STRINGS);
        break;
      case 2:
        p[k] = [String(p[k] ?? ''), rng.pick(ODD_STRINGS)]; // a parameter twice
        break;
      case 3:
        p[k] = 'z'.repeat(rng.pick([100, 5000, 200_000]));
        break;
      case 4:
        p[k] = randomUnicode(rng, 1 + rng.int(32));
        break;
      case 5:
        p[k] = flipBits(rng, String(p[k] ?? 'x'));
        break;
      case 6:
        p[k.toLowerCase()] = p[k] ?? '';
        delete p[k];
        break;
      default:
        p[k] = rng.pick(ODD_STRINGS);
    }
  }
  return p;
}

/** A form body from parameters: duplicate keys for array values, as Twilio would send them. */
export function formBody(p: FormParams): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(p)) for (const x of Array.isArray(v) ? v : [v]) u.append(k, x);
  return u.toString();
}
