import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentNotificationError, RetryableNotificationError } from '../../src/notify/index.js';
import {
  buildChannels,
  LocalOutboxChannel,
  SlackWebhookChannel,
  SmtpEmailChannel,
} from '../../src/notify/channels/index.js';
import { twilioNotificationChannels, TwilioRestClient } from '../../src/telephony/twilio/index.js';
import { FakeSmtpServer } from './support/fake-smtp.js';
import { failureOf, note, signal } from './support/outbound.js';

describe('local outbox channel (embedded default)', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'sb-notify-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('records SMS and calls as delivered locally without any network', async () => {
    const ch = new LocalOutboxChannel({ dataDir });
    const n = note();
    expect(await ch.send(n)).toEqual({ providerId: `local:${n.id}` });
    expect(existsSync(path.join(dataDir, 'outbox-mail'))).toBe(false);
  });

  it('writes an email as a complete .eml file in DATA_DIR/outbox-mail', async () => {
    const ch = new LocalOutboxChannel({ dataDir, from: 'Switchboard <alerts@acme.test>' });
    const n = note({
      kind: 'email',
      recipient: 'owner@acme.test',
      subject: 'Emergency: flooding',
      body: 'Caller +15005550006: "my basement is flooding"\nÜber-urgent.',
    });
    const { providerId } = await ch.send(n);
    expect(providerId).toMatch(/^local:<.+>$/);
    const eml = readFileSync(path.join(dataDir, 'outbox-mail', `${n.id}.eml`), 'utf8');
    expect(eml).toMatch(/^From: Switchboard <alerts@acme\.test>$/m);
    expect(eml).toMatch(/^To: owner@acme\.test$/m);
    expect(eml).toMatch(/^Subject: Emergency: flooding$/m);
    expect(eml).toMatch(new RegExp(`^X-Switchboard-Notification: ${n.id}$`, 'm'));
    expect(eml).toMatch(/^Message-ID: <.+>$/m);
    expect(eml).toContain('my basement is flooding');
  });
});

describe('Slack incoming webhook channel', () => {
  let server: Server;
  let base = '';
  const received: Array<{ path: string; type: string | undefined; body: unknown }> = [];
  const answers: Array<{ status: number; body: string; headers?: Record<string, string> }> = [];
  beforeAll(async () => {
    server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
      let raw = '';
      for await (const c of req) raw += String(c);
      received.push({ path: req.url ?? '', type: req.headers['content-type'], body: JSON.parse(raw) });
      const a = answers.shift() ?? { status: 200, body: 'ok' };
      res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers });
      res.end(a.body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('posts {text} as JSON to the webhook URL', async () => {
    const ch = new SlackWebhookChannel();
    await ch.send(
      note({ kind: 'slack', recipient: `${base}/services/T0/B0/x`, subject: 'Emergency' }),
      signal(),
    );
    expect(received.at(-1)).toEqual({
      path: '/services/T0/B0/x',
      type: 'application/json',
      body: { text: '*Emergency*\nEMERGENCY (flooding) at Acme Plumbing' },
    });
  });

  it("Slack's 4xx reasons are permanent; 429 and 5xx retryable", async () => {
    const ch = new SlackWebhookChannel();
    const url = `${base}/services/T0/B0/x`;
    answers.push({ status: 404, body: 'no_service' });
    const gone = await failureOf(ch.send(note({ kind: 'slack', recipient: url }), signal()));
    expect(gone).toBeInstanceOf(PermanentNotificationError);
    expect(gone.message).toContain('no_service');
    answers.push({ status: 429, body: 'rate_limited', headers: { 'retry-after': '30' } });
    const limited = await failureOf(ch.send(note({ kind: 'slack', recipient: url }), signal()));
    expect(limited).toBeInstanceOf(RetryableNotificationError);
    expect(limited.retryAfterMs).toBe(30_000);
    answers.push({ status: 500, body: 'oops' });
    expect((await failureOf(ch.send(note({ kind: 'slack', recipient: url }), signal()))).retryable).toBe(
      true,
    );
  });
});

describe('SMTP email channel (nodemailer) against a local SMTP server', () => {
  const smtp = new FakeSmtpServer();
  let ch: SmtpEmailChannel;
  beforeAll(async () => {
    await smtp.start();
    ch = new SmtpEmailChannel({ url: smtp.url, from: 'alerts@acme.test', timeoutMs: 3000 });
  });
  afterAll(async () => {
    ch.close();
    await smtp.stop();
  });
  const email = () =>
    note({
      kind: 'email',
      recipient: 'owner@acme.test',
      subject: 'Emergency: flooding',
      body: 'Basement flooding.',
    });

  it('delivers the mail and returns its Message-ID', async () => {
    const { providerId } = await ch.send(email(), signal());
    expect(providerId).toMatch(/^<.+>$/);
    const m = smtp.messages.at(-1)!;
    expect(m.from).toBe('alerts@acme.test');
    expect(m.to).toEqual(['owner@acme.test']);
    expect(m.data).toMatch(/^Subject: Emergency: flooding$/m);
    expect(m.data).toContain('Basement flooding.');
  });

  it('a resend of the same notification carries the same Message-ID (from the outbox id), another one a different', async () => {
    const n = email();
    const first = await ch.send(n, signal());
    const again = await ch.send({ ...n, attempt: 2 }, signal());
    expect(first.providerId).toBe(`<outbox-${n.id}@acme.test>`);
    expect(again.providerId).toBe(first.providerId);
    const ids = smtp.messages.slice(-2).map((m) => /^Message-ID: (.+)$/im.exec(m.data)?.[1]);
    expect(ids).toEqual([first.providerId, first.providerId]);
    const other = await ch.send({ ...n, id: randomUUID() }, signal());
    expect(other.providerId).not.toBe(first.providerId);
  });

  it('a 5xx refusal is permanent, a 4xx one retryable, an unreachable server retryable', async () => {
    smtp.rcptReplies.push('550 5.1.1 No such user');
    const refused = await failureOf(ch.send(email(), signal()));
    expect(refused).toBeInstanceOf(PermanentNotificationError);
    smtp.rcptReplies.push('451 4.3.0 Try again later');
    const later = await failureOf(ch.send(email(), signal()));
    expect(later.retryable).toBe(true);
    expect(later.code).toBe('smtp-451');

    const gone = new FakeSmtpServer();
    await gone.start();
    await gone.stop();
    const dead = new SmtpEmailChannel({ url: gone.url, from: 'alerts@acme.test', timeoutMs: 2000 });
    try {
      expect((await failureOf(dead.send(email(), signal()))).retryable).toBe(true);
    } finally {
      dead.close();
    }
  });
});

describe('channel selection', () => {
  it('keeps everything local in the embedded default, and uses providers when live and configured', () => {
    const client = new TwilioRestClient({ accountSid: 'AC1', authToken: 'x' });
    const local = buildChannels({ dataDir: '/tmp/x', delivery: 'local' });
    expect(Object.values(local.channels).map((c) => c.name)).toEqual([
      'local',
      'local',
      'local',
      'local',
      'local',
    ]);
    const live = buildChannels({
      dataDir: '/tmp/x',
      delivery: 'live',
      telephony: twilioNotificationChannels({
        client,
        from: '+15005550001',
        publicUrl: 'https://sb.example.com',
      }),
    });
    expect(Object.fromEntries(Object.entries(live.channels).map(([k, c]) => [k, c.name]))).toEqual({
      sms: 'twilio-sms',
      'voice-call': 'twilio-voice',
      email: 'local',
      slack: 'slack',
      whatsapp: 'twilio-whatsapp',
    });
    expect(live.localKinds).toEqual(['email']);
  });
});
