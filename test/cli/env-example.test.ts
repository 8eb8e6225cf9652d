import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { EnvSchema } from '../../src/config.js';

/** .env.example is checked against config.ts so it cannot drift: every setting, its real default. */
const lines = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8').split('\n');
const settings = lines.flatMap((line, i) => {
  const m = /^#? ?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
  return m ? [{ key: m[1]!, raw: `${m[1]}=${m[2]}`, value: m[2]!, comment: lines[i - 1] ?? '' }] : [];
});
const defaults = EnvSchema.parse({}) as Record<string, unknown>;

describe('.env.example', () => {
  it('lists every setting config.ts reads, once, and nothing else', () => {
    const listed = settings.map((s) => s.key);
    expect([...listed].sort()).toEqual(Object.keys(EnvSchema.shape).sort());
    expect(new Set(listed).size).toBe(listed.length);
  });

  it('shows each setting’s default: the value config.ts uses when it is unset, or empty when it has none', () => {
    for (const s of settings) {
      const value = parseEnv(s.raw)[s.key] ?? '';
      if (value === '') {
        expect(defaults[s.key], `${s.key} has a default; .env.example must show it`).toBeUndefined();
      } else {
        const parsed = EnvSchema.safeParse({ [s.key]: value });
        expect(parsed.success, `${s.key}=${value} is refused by config.ts`).toBe(true);
        expect((parsed.data as Record<string, unknown>)[s.key], s.key).toEqual(defaults[s.key]);
      }
    }
  });

  it('has a one-line comment above each setting', () => {
    for (const s of settings) {
      expect(s.comment, s.key).toMatch(/^# \S/);
      expect(s.comment, `${s.key} follows another setting, not its comment`).not.toMatch(
        /^#? ?[A-Z][A-Z0-9_]*=/,
      );
    }
  });
});
