import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDeepgramKey, checkElevenLabsKey, checkOpenAiKey } from '../../src/providers/key-check.js';

/** Answers each vendor's probe as the vendor does: the key decides, and the voice must exist. */
let server: Server;
let base: string;
const seen: IncomingMessage['headers'][] = [];
const GOOD = 'good-key-0123456789';

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers);
    const url = req.url ?? '';
    if (url.startsWith('/broken')) return void res.writeHead(500).end('{"error":"internal"}');
    const key =
      req.headers['xi-api-key'] ?? String(req.headers.authorization ?? '').replace(/^(Bearer|Token) /, '');
    if (key !== GOOD) {
      // A careless vendor that echoes the key it refused: the verdict must not carry it on.
      res.writeHead(401, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${key}` } }));
    }
    if (url.startsWith('/v1/voices/') && !url.endsWith('/EXAVITQu4vr4xnSDxMaL'))
      return void res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"detail":"voice_not_found"}');
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const openai = (apiKey: string, baseUrl = `${base}/v1`) => ({
  apiKey,
  baseUrl,
  realtimeModel: 'm',
  realtimeVoice: 'v',
});
const deepgram = (apiKey: string, baseUrl = base) => ({ apiKey, baseUrl, sttModel: 'nova-3', ttsModel: 'a' });
const eleven = (apiKey: string, voiceId = 'EXAVITQu4vr4xnSDxMaL') => ({
  apiKey,
  baseUrl: base,
  voiceId,
  modelId: 'm',
});

describe('the start-up check of cloud keys', () => {
  it('accepts a key each vendor accepts, sent the way each vendor expects it', async () => {
    seen.length = 0;
    expect(await checkOpenAiKey(openai(GOOD))).toEqual({ ok: true });
    expect(await checkDeepgramKey(deepgram(GOOD))).toEqual({ ok: true });
    expect(await checkElevenLabsKey(eleven(GOOD))).toEqual({ ok: true });
    expect(seen.map((h) => h.authorization ?? `xi ${h['xi-api-key']}`)).toEqual([
      `Bearer ${GOOD}`,
      `Token ${GOOD}`,
      `xi ${GOOD}`,
    ]);
  });

  it('reports a refused key by its setting, with the vendor’s words and never the key itself', async () => {
    const verdict = await checkDeepgramKey(deepgram('wrong-key-abcdef'));
    expect(verdict).toMatchObject({ ok: false, rejected: true });
    const reason = (verdict as { reason: string }).reason;
    expect(reason).toMatch(/^DEEPGRAM_API_KEY was refused: HTTP 401: Incorrect API key provided/);
    expect(reason).not.toContain('wrong-key-abcdef');
  });

  it('refuses an ElevenLabs voice id that does not exist, with a good key', async () => {
    const verdict = await checkElevenLabsKey(eleven(GOOD, 'NoSuchVoice123'));
    expect(verdict).toMatchObject({ ok: false, rejected: true });
    expect((verdict as { reason: string }).reason).toMatch(/ELEVENLABS_VOICE_ID.*404/);
  });

  it('does not hold an unreachable vendor or a server error against the key', async () => {
    const down = await checkOpenAiKey(openai(GOOD, 'http://127.0.0.1:9/v1'));
    expect(down).toMatchObject({ ok: false, rejected: false });
    expect((down as { reason: string }).reason).toMatch(/OPENAI_API_KEY could not be checked: unreachable/);
    const broken = await checkDeepgramKey(deepgram(GOOD, `${base}/broken`));
    expect(broken).toMatchObject({ ok: false, rejected: false });
  });
});
