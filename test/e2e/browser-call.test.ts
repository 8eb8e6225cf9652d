import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulawToPcm, resample, writeWav } from '../../src/audio/index.js';
import { createFliteTts } from '../../src/providers/tts/index.js';
import { callerAudioSource } from '../../src/sim/caller-audio.js';
import { startFakeDeepgram, type FakeDeepgram } from '../support/fake-deepgram.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { CHROMIUM_PATH, PHONE, screenshot } from './browser.js';

/**
 * A browser call end to end: a real server, the built call page in Chromium with a fake
 * microphone that plays a caller's request (spoken by the simulator's flite "rms" voice, not the
 * agent's), through /room/join, the media socket and the same pipeline as a phone call. The
 * greeting and the caller's words must come back as captions and be in the stored call.
 *
 * The words are recognized by the offline recognizer (PocketSphinx) where it is built; where it
 * is not (a machine without scripts/setup.sh), by the local Deepgram stand-in, which finds the
 * speech by its energy in the audio the pipeline forwards and answers the words it was given:
 * the caller's audio still has to cross the page's worklet, the socket, the VAD and the
 * recognizer's stream for the words to come back.
 */
const HAS_POCKETSPHINX = existsSync('native/pocketsphinx/build/Release/pocketsphinx.node');

const ROOM = 'acme-web-lobby';
const GREETING = 'Acme Plumbing, how can I help?';
const REQUEST = "I'd like to book a drain cleaning";
/** What the offline recognizer must have heard of REQUEST (it may miss a word or two). */
const HEARD = /drain|clean|book/i;
const WAIT = 25_000;

let server: TestServer;
let browser: Browser;
let workDir: string;
let demoId: string;
let deepgram: FakeDeepgram | undefined;
const ended: { callSid: string; recording?: string }[] = [];

async function api<T = Record<string, unknown>>(method: string, url: string, body?: unknown): Promise<T> {
  const res = await fetch(server.baseUrl + url, {
    method,
    headers: {
      authorization: `Bearer ${server.app.apiKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : {}) as T;
}

/** The caller's microphone: silence while the greeting plays, the request, then silence (no loop). */
async function callerWav(file: string): Promise<void> {
  const speech = mulawToPcm(
    await callerAudioSource(await createFliteTts({ voice: 'rms' }))({ say: REQUEST }),
  );
  const rate = 8000;
  const samples = new Int16Array(rate * 5 + speech.length + rate * 10);
  samples.set(speech, rate * 5);
  const wav = resample({ samples, sampleRate: rate }, 48_000);
  writeFileSync(file, writeWav({ sampleRate: wav.sampleRate, channels: [wav.samples] }));
}

beforeAll(async () => {
  const built = spawnSync(process.execPath, ['scripts/build-web.mjs'], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`build-web failed: ${built.stderr || built.stdout}`);
  workDir = mkdtempSync(path.join(tmpdir(), 'sb-browser-call-'));
  const wav = path.join(workDir, 'caller.wav');
  await callerWav(wav);
  if (!HAS_POCKETSPHINX) {
    deepgram = await startFakeDeepgram();
    deepgram.listen.transcripts.push(REQUEST);
  }
  server = await startTestServer(
    deepgram
      ? { STT_PROVIDERS: 'deepgram', DEEPGRAM_API_KEY: deepgram.apiKey, DEEPGRAM_BASE_URL: deepgram.baseUrl }
      : {},
  );
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--autoplay-policy=no-user-gesture-required',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${wav}%noloop`,
    ],
  });
  demoId = (await api<{ items: { id: string }[] }>('GET', '/api/business')).items[0]!.id;
  // A short greeting, open or closed, keeps the call short.
  await api('PUT', `/api/business/${demoId}`, {
    profile: { greeting: GREETING, afterHoursGreeting: GREETING },
  });
  await api('POST', '/room/create', { room: ROOM, businessId: demoId });
  await server.app.bus.subscribe({ businessId: demoId }, (e) => {
    if (e.type === 'call-ended')
      ended.push({ callSid: e.callSid, ...(e.recording ? { recording: e.recording } : {}) });
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await deepgram?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('a browser call (/call?room=...)', () => {
  it('is answered with the greeting, and the caller is heard through the pipeline', async () => {
    const context = await browser.newContext({ baseURL: server.baseUrl, viewport: { ...PHONE, width: 375 } });
    await context.grantPermissions(['microphone'], { origin: server.baseUrl });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => (m.type() === 'error' ? errors.push(m.text()) : undefined));
    let callSid: string | undefined;
    page.on('websocket', (ws) =>
      ws.on('framereceived', ({ payload }) => {
        if (typeof payload === 'string' && payload.includes('"ready"'))
          callSid = (JSON.parse(payload) as { callSid: string }).callSid;
      }),
    );

    const res = await page.goto(`/call?room=${ROOM}`);
    expect(res?.headers()['content-security-policy']).toContain("media-src 'self' blob:");
    await page.getByLabel('Your name').fill('Dana Visitor');
    await page.getByRole('button', { name: 'Start call' }).click();
    const status = page.getByRole('status');
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toContain('Connected');
    expect(callSid).toMatch(/^WB[0-9a-f]{32}$/);

    const captions = page.locator('#captions');
    await expect
      .poll(() => captions.textContent(), { timeout: WAIT, interval: 250 })
      .toContain('Acme Plumbing');
    await expect.poll(() => captions.textContent(), { timeout: WAIT, interval: 250 }).toMatch(HEARD);
    await screenshot(page, 'browser-call-in-call');

    // The same words are in the stored call, written by the pipeline's call log.
    type Turn = { speaker: string; text: string };
    const { call } = await api<{ call: { channel: string; turns: Turn[]; recordingPath?: string | null } }>(
      'GET',
      `/api/calls/${callSid}`,
    );
    expect(call.channel).toBe('web');
    expect(call.turns.find((t) => t.speaker === 'agent')?.text).toContain('Acme Plumbing');
    expect(
      call.turns
        .filter((t) => t.speaker === 'caller')
        .map((t) => t.text)
        .join(' '),
    ).toMatch(HEARD);

    await page.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(() => status.textContent()).toContain('Call ended');
    await expect
      .poll(
        async () => (await api<{ call: { status: string } }>('GET', `/api/calls/${callSid}`)).call.status,
        { timeout: 10_000 },
      )
      .toBe('completed');
    // The room keeps no recordings (recording is off unless the owner turns it on).
    await expect.poll(() => ended.find((e) => e.callSid === callSid)).toEqual({ callSid });
    await screenshot(page, 'browser-call-ended');
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it("tells the visitor when the room's agent is off", async () => {
    await api('POST', `/room/${ROOM}/agent`, { enabled: false });
    const context = await browser.newContext({ baseURL: server.baseUrl, viewport: { ...PHONE, width: 375 } });
    await context.grantPermissions(['microphone'], { origin: server.baseUrl });
    const page = await context.newPage();
    await page.goto(`/call?room=${ROOM}`);
    await page.getByLabel('Your name').fill('Dana Visitor');
    await page.getByRole('button', { name: 'Start call' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('No agent');
    await expect.poll(() => page.getByRole('button', { name: 'Start call' }).isEnabled()).toBe(true);
    await screenshot(page, 'browser-call-no-agent');
    await context.close();
  }, 30_000);
});
