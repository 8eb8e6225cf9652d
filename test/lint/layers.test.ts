import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The layer rules in eslint.config.js, run through ESLint's Node API as `npm run lint` runs them.
 * lintText with a filePath under src/ lints the text as if it were that file (nothing is written).
 */
const eslint = new ESLint({ cwd: process.cwd() });

async function restrictedPaths(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'import-x/no-restricted-paths')
    .map((m) => m.message);
}

describe('layers: imports point down', () => {
  it('refuses an upward import (store importing voice)', async () => {
    const messages = await restrictedPaths(
      'src/store/upward-fixture.ts',
      "import type { CallEvent } from '../voice/index.js';\nexport type E = CallEvent;\n",
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/Imports point down: store/);
  });

  it('refuses notify importing telephony (the arrow this layering removed)', async () => {
    const messages = await restrictedPaths(
      'src/notify/upward-fixture.ts',
      "import { TwilioRestClient } from '../telephony/twilio/index.js';\nexport const C = TwilioRestClient;\n",
    );
    expect(messages.some((m) => /Imports point down: notify/.test(m))).toBe(true);
  });

  it('refuses an import between peers of one layer (knowledge and notify)', async () => {
    const messages = await restrictedPaths(
      'src/knowledge/peer-fixture.ts',
      "import { Notifier } from '../notify/index.js';\nexport const N = Notifier;\n",
    );
    expect(messages.some((m) => /Imports point down: knowledge/.test(m))).toBe(true);
  });

  it('refuses importing app from anywhere below it', async () => {
    const messages = await restrictedPaths(
      'src/voice/app-fixture.ts',
      "import { createApp } from '../app.js';\nexport const A = createApp;\n",
    );
    expect(messages.some((m) => /Imports point down: voice/.test(m))).toBe(true);
  });

  it('allows a downward import through the folder index', async () => {
    const messages = await restrictedPaths(
      'src/voice/down-fixture.ts',
      "import type { Db } from '../store/index.js';\nexport type D = Db;\n",
    );
    expect(messages).toEqual([]);
  });
});

describe('layers: another folder is imported through its index', () => {
  it('refuses reaching past voice/index.ts into voice/call-session.ts', async () => {
    const messages = await restrictedPaths(
      'src/telephony/twilio/deep-fixture.ts',
      "import { CallSession } from '../../voice/call-session.js';\nexport const S = CallSession;\n",
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/Import voice through its public face/);
  });

  it('allows a sub-module face such as providers/stt/index.ts', async () => {
    const messages = await restrictedPaths(
      'src/voice/face-fixture.ts',
      "import type { SpeechToText } from '../providers/stt/index.js';\nexport type S = SpeechToText;\n",
    );
    expect(messages).toEqual([]);
  });
});

describe('the real tree', () => {
  it('lints clean under the layer and index rules', async () => {
    const results = await eslint.lintFiles(['src/']);
    const broken = results.flatMap((r) =>
      r.messages
        .filter((m) => m.ruleId?.startsWith('import-x/'))
        .map((m) => `${r.filePath}:${m.line} ${m.message}`),
    );
    expect(broken).toEqual([]);
  }, 120_000);
});
