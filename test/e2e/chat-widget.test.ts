import { spawnSync } from 'node:child_process';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerChatWidget } from '../../src/channels/index.js';
import { asBusinessId, type BusinessId, type E164 } from '../../src/ids.js';
import type { Business } from '../../src/store/index.js';
import { FakeConversations } from '../channels/chat/fake-conversations.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { freshPage, launchBrowser, screenshot } from './browser.js';

/**
 * The chat widget's promise in a real browser (issue 13, "must show"): Debian's Chromium opens
 * the /demo page of a real server (PGlite, the offline rules brain), opens the widget its one
 * script tag put there, and chats as a customer of the demo plumbing business: a need, a name,
 * a number and an address. After a reload the conversation is still there, and the lead is
 * stored with channel chat. At 375 px wide, the narrowest phone the widget promises to fit.
 */

const BUILD_SCRIPT = 'scripts/build-web.mjs';
const WAIT = 15_000;
const SMALL_PHONE = { width: 375, height: 720 } as const;

let server: TestServer;
let browser: Browser;

interface Lead {
  name: string | null;
  phone: string | null;
  need: string | null;
  channel?: string | null;
}

async function apiGet<T>(path: string): Promise<T> {
  const res = await fetch(server.baseUrl + path, {
    headers: { authorization: `Bearer ${server.app.apiKey}` },
  });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Sends one message as a visitor does (type, Enter) and waits for the agent's answer to match. */
async function say(page: Page, text: string, answer: RegExp): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Your message' });
  await box.fill(text);
  await box.press('Enter');
  await page.getByRole('log', { name: 'Messages' }).getByText(answer).last().waitFor({ timeout: WAIT });
}

beforeAll(async () => {
  // The widget the server serves is built from web/widget/src, so a fresh clone works.
  const built = spawnSync(process.execPath, [BUILD_SCRIPT], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`${BUILD_SCRIPT} failed: ${built.stderr || built.stdout}`);
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('chat widget in Chromium', () => {
  it('a customer chats on /demo, reloads and finds the conversation, and the lead is stored from chat', async () => {
    const { context, page } = await freshPage(browser, server.baseUrl, SMALL_PHONE);
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    try {
      await page.goto('/demo');
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Acme Plumbing');
      const launcher = page.getByRole('button', { name: /^Chat with/ });
      await launcher.click();
      const dialog = page.getByRole('dialog');
      await dialog.waitFor({ timeout: WAIT });
      // Focus moves into the panel, ready to type: Playwright's keyboard types where the focus is.
      await page.keyboard.type('x');
      await expect(page.getByRole('textbox', { name: 'Your message' }).inputValue()).resolves.toBe('x');
      const log = page.getByRole('log', { name: 'Messages' });
      await log
        .getByText(/Acme Plumbing/)
        .first()
        .waitFor({ timeout: WAIT });

      await say(page, 'Hi, my kitchen sink is leaking and I need a plumber to fix it', /your name/i);
      await say(page, 'My name is Jordan Smith', /number/i);
      await say(page, '555 201 3344', /address/i);
      await say(page, '12 Oak Street, Springfield', /\w/);

      // The demo business is on PRO: no "Powered by Switchboard"; the full level's chips are there.
      await expect(page.getByText('Powered by Switchboard').isVisible()).resolves.toBe(false);
      await expect(
        page.getByRole('group', { name: 'Suggestions' }).getByRole('button').count(),
      ).resolves.toBeGreaterThan(3);
      await screenshot(page, 'chat-widget-conversation');

      await page.reload();
      // After the reload the panel is open again with the whole conversation.
      await page
        .getByRole('log', { name: 'Messages' })
        .getByText('My name is Jordan Smith')
        .waitFor({ timeout: WAIT });
      await expect(
        page.getByRole('log', { name: 'Messages' }).getByText('555 201 3344').count(),
      ).resolves.toBe(1);
      await screenshot(page, 'chat-widget-after-reload');

      // Escape closes the panel and gives focus back to the launcher.
      await page.getByRole('textbox', { name: 'Your message' }).press('Escape');
      await expect(page.getByRole('dialog').isVisible()).resolves.toBe(false);
      await expect(launcher.getAttribute('aria-expanded')).resolves.toBe('false');

      const leads = await apiGet<{ items: Lead[] }>('/api/leads');
      const lead = leads.items.find((l) => l.name === 'Jordan Smith');
      expect(lead).toMatchObject({ phone: '+15552013344', channel: 'chat' });
      expect(lead?.need).toMatch(/sink is leaking/i);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('an emergency typed into the chat raises the same emergency a call does', async () => {
    const { context, page } = await freshPage(browser, server.baseUrl, SMALL_PHONE);
    try {
      await page.goto('/demo');
      await page.getByRole('button', { name: /^Chat with/ }).click();
      await page
        .getByRole('log', { name: 'Messages' })
        .getByText(/Acme Plumbing/)
        .first()
        .waitFor({ timeout: WAIT });
      await say(page, 'I can smell gas in my kitchen', /gas|safe|leave|911|emergency/i);
      await screenshot(page, 'chat-widget-emergency');
      const emergencies = await apiGet<{ items: Array<{ channel?: string | null; category?: string }> }>(
        '/api/emergencies',
      );
      expect(emergencies.items.find((e) => e.channel === 'chat')).toMatchObject({ category: 'gas' });
    } finally {
      await context.close();
    }
  }, 30_000);
});

describe('the embed code on the dashboard', () => {
  it("shows the owner the business's script tag with its key, and copies it", async () => {
    const owner = { email: 'widget-owner@acme-plumbing.example', password: 'widget-owner-pw-1' };
    const { items } = await apiGet<{ items: Array<{ id: string; publicKey: string }> }>('/api/business');
    const demo = items[0]!;
    expect(demo.publicKey).toMatch(/^pk_[0-9a-f]{32}$/);
    await server.app.accounts.add({ ...owner, role: 'owner', businessId: asBusinessId(demo.id) });
    const { context, page } = await freshPage(browser, server.baseUrl);
    try {
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
      expect((await page.request.post('/api/auth/login', { data: owner })).status()).toBe(200);
      await page.goto('/admin/business');
      const code = page.getByRole('textbox', { name: 'Embed code' });
      await code.waitFor({ timeout: WAIT });
      const tag = `<script src="${server.baseUrl}/widget.js" data-key="${demo.publicKey}" async></script>`;
      await expect(code.inputValue()).resolves.toBe(tag);
      await page.getByRole('button', { name: 'Copy embed code' }).click();
      await page.getByText('Copied.').waitFor({ timeout: WAIT });
      await expect(
        page.evaluate(() =>
          (
            globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
          ).navigator.clipboard.readText(),
        ),
      ).resolves.toBe(tag);
      await code.scrollIntoViewIfNeeded();
      await screenshot(page, 'chat-widget-embed-code');
    } finally {
      await context.close();
    }
  }, 30_000);
});

/** A FREE business on a server whose brain is scripted (test/channels/chat/fake-conversations.ts). */
describe('chat widget in Chromium, against a scripted brain', () => {
  const FREE: Business = {
    id: '00000000-0000-4000-8000-000000000f4e' as BusinessId,
    name: 'Tiny Drains',
    trade: 'plumbing',
    greeting: 'Hi',
    afterHoursGreeting: null,
    timezone: 'UTC',
    hours: { weekly: {}, holidays: [] },
    plan: 'FREE',
    publicKey: `pk_${'f4e'.padEnd(32, '0')}`,
    settings: {},
    phoneNumbers: ['+15005550007' as E164],
    createdAt: new Date(),
    updatedAt: new Date(),
  };
  let fake: FastifyInstance;
  let conversations: FakeConversations;
  let base: string;

  beforeAll(async () => {
    conversations = new FakeConversations();
    fake = Fastify();
    await fake.register(websocket);
    registerChatWidget(fake, {
      conversations,
      businesses: {
        findByPublicKey: async (k) => (k === FREE.publicKey ? FREE : undefined),
        list: async () => [FREE],
      },
      tokenSecret: 'widget-browser-test-secret-0123456789abcdef',
      log: { info() {}, warn() {}, error() {} },
    });
    base = await fake.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('FREE: basic level (no chips) with "Powered by Switchboard"; reconnects; an idle-closed chat carries the message into a new one', async () => {
    const { context, page } = await freshPage(browser, base, SMALL_PHONE);
    try {
      await page.goto('/demo');
      await page.getByRole('button', { name: /^Chat with/ }).click();
      const log = page.getByRole('log', { name: 'Messages' });
      await log.getByText('Hello, Acme Plumbing here.').waitFor({ timeout: WAIT });
      await expect(page.getByText('Powered by Switchboard').isVisible()).resolves.toBe(true);
      await expect(
        page.getByRole('group', { name: 'Suggestions' }).getByRole('button').count(),
      ).resolves.toBe(0);
      await say(page, 'first message', /You said: first message/);

      // The server drops every socket: the widget reconnects on its own and resumes.
      for (const c of fake.websocketServer.clients) c.terminate();
      await say(page, 'after the drop', /You said: after the drop/);
      expect(new Set(conversations.inputs.map((i) => i.id)).size).toBe(1);

      // The conversation is closed behind the widget's back (idle): the next message starts a new one.
      for (const id of conversations.refs.keys()) await conversations.end(id, 'idle');
      await say(page, 'are you there', /You said: are you there/);
      expect(new Set(conversations.inputs.map((i) => i.id)).size).toBe(2);
      await screenshot(page, 'chat-widget-free-plan');
    } finally {
      await context.close();
    }
  }, 30_000);
});
