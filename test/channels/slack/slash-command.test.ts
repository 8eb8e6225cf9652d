import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import {
  registerSlackCommands,
  slackSignature,
  type SlackCommandDeps,
  type SlackMessage,
} from '../../../src/channels/index.js';
import { ApiError } from '../../../src/http/errors.js';
import { registerHttpEdge } from '../../../src/http/edge.js';
import { asBusinessId, type BusinessId } from '../../../src/ids.js';
import type { Business } from '../../../src/store/index.js';

/**
 * Slack's /call slash command: the signature over the raw form (api.slack.com "Verifying requests
 * from Slack"), the five-minute replay window, the business of the workspace, and every outcome as
 * a 200 with an ephemeral text (Slack shows other statuses as a generic failure).
 */

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
const nowSec = Math.floor(NOW / 1000);

const business = (id: string, settings: Record<string, unknown> = {}) =>
  ({ id: asBusinessId(id), name: id, settings, phoneNumbers: [] }) as unknown as Business;
const ACME = business('00000000-0000-4000-8000-00000000000a', { slack: { teamId: 'T0ACME' } });
const OTHER = business('00000000-0000-4000-8000-00000000000b');

interface Setup {
  server: FastifyInstance;
  placed: Array<[BusinessId, string]>;
  posted: Array<[string, SlackMessage]>;
}

let open: FastifyInstance | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

async function setup(
  over: Partial<SlackCommandDeps> = {},
  businesses: Business[] = [ACME, OTHER],
): Promise<Setup> {
  const placed: Setup['placed'] = [];
  const posted: Setup['posted'] = [];
  const server = Fastify();
  registerHttpEdge(server);
  // As in the app: the form parser every Twilio webhook uses is installed on the root.
  await server.register(formbody);
  registerSlackCommands(server, {
    signingSecret: SECRET,
    businesses: { list: async () => businesses },
    placeCall: async (businessId, to) => {
      placed.push([businessId, to]);
      return { callSid: `CA${'a'.repeat(32)}`, to };
    },
    log: { info() {}, warn() {}, error() {} },
    now: () => NOW,
    postResponse: async (url, message) => void posted.push([url, message]),
    ...over,
  });
  await server.ready();
  open = server;
  return { server, placed, posted };
}

const form = (fields: Record<string, string>) =>
  new URLSearchParams({
    token: 'gIkuvaNzQIHg97ATvDxqgjtO',
    team_id: 'T0ACME',
    team_domain: 'acme',
    channel_id: 'C2147483705',
    user_id: 'U2147483697',
    user_name: 'steve',
    command: '/call',
    text: '+15551234567',
    response_url: 'https://hooks.slack.com/commands/1234/5678',
    trigger_id: '13345224609.738474920.8088930838d88f008e0',
    ...fields,
  }).toString();

const send = (
  s: Setup,
  body: string,
  headers: { signature?: string; timestamp?: string } = {},
  contentType = 'application/x-www-form-urlencoded',
) => {
  const timestamp = headers.timestamp ?? String(nowSec);
  return s.server.inject({
    method: 'POST',
    url: '/slack/commands',
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': headers.signature ?? slackSignature(SECRET, timestamp, body),
    },
    payload: body,
  });
};

describe('Slack /call slash command', () => {
  it("signs as Slack documents it: v0= and hex HMAC-SHA256 of v0:timestamp:body (Slack's own example)", () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(slackSignature(SECRET, '1531420618', body)).toBe(
      'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    );
  });

  it('places the call for the linked business and answers an ephemeral "Calling …"', async () => {
    const s = await setup();
    const res = await send(s, form({}));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ response_type: 'ephemeral', text: 'Calling +1 555-123-4567…' });
    expect(s.placed).toEqual([[ACME.id, '+15551234567']]);
  });

  it('refuses a wrong signature, a missing one, and a stale or future timestamp with 401, placing nothing', async () => {
    const s = await setup();
    const body = form({});
    const stale = String(nowSec - 5 * 60 - 1);
    const future = String(nowSec + 5 * 60 + 1);
    const cases = [
      { signature: slackSignature('another-secret-0123456789', String(nowSec), body) },
      { signature: slackSignature(SECRET, String(nowSec), `${body}&text=%2B15550000000`) },
      { signature: 'v0=' },
      { timestamp: stale, signature: slackSignature(SECRET, stale, body) },
      { timestamp: future, signature: slackSignature(SECRET, future, body) },
    ];
    for (const c of cases) {
      const res = await send(s, body, c);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: 'unauthorized' });
    }
    const unsigned = await s.server.inject({
      method: 'POST',
      url: '/slack/commands',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: body,
    });
    expect(unsigned.statusCode).toBe(401);
    expect(s.placed).toEqual([]);
    // Just inside the window is fine.
    const edge = String(nowSec - 5 * 60);
    expect((await send(s, body, { timestamp: edge })).statusCode).toBe(200);
  });

  it('checks the bytes Slack sent (the body is not re-encoded before the check)', async () => {
    const s = await setup();
    // Encoded differently from URLSearchParams (%20 for the space, lower-case hex): still valid.
    const body = `team_id=T0ACME&command=%2fcall&text=%2b1%20555%20123%204567&user_id=U1`;
    const res = await send(s, body);
    expect(res.json()).toEqual({ response_type: 'ephemeral', text: 'Calling +1 555-123-4567…' });
    expect(s.placed).toEqual([[ACME.id, '+1 555 123 4567']]);
    // With a charset parameter too.
    const withCharset = await send(s, body, {}, 'application/x-www-form-urlencoded; charset=utf-8');
    expect(withCharset.statusCode).toBe(200);
    expect(s.placed).toHaveLength(2);
  });

  it('a workspace linked to no business is told so; the only business, linked to none, is used', async () => {
    const s = await setup();
    const res = await send(s, form({ team_id: 'T0STRANGER' }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      response_type: 'ephemeral',
      text: 'This Slack workspace is not linked to a business.',
    });
    expect(s.placed).toEqual([]);

    const single = await setup({}, [OTHER]);
    await send(single, form({ team_id: 'T0STRANGER' }));
    expect(single.placed).toEqual([[OTHER.id, '+15551234567']]);

    // The only business, but linked to another workspace: not this one's.
    const linkedElsewhere = await setup({}, [ACME]);
    expect((await send(linkedElsewhere, form({ team_id: 'T0STRANGER' }))).json()).toMatchObject({
      text: 'This Slack workspace is not linked to a business.',
    });
  });

  it('shows refusals as ephemeral text with 200: not allowed, no Twilio, internal errors without details', async () => {
    const refusing = await setup({
      placeCall: async () => {
        throw new ApiError(
          422,
          'destination_not_allowed',
          "Calls may go to numbers in the business's own country (US) only.",
        );
      },
    });
    const res = await send(refusing, form({ text: '+442079460000' }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      response_type: 'ephemeral',
      text: "Could not place the call: Calls may go to numbers in the business's own country (US) only.",
    });

    const broken = await setup({
      placeCall: async () => {
        throw new Error('connect ECONNREFUSED postgres://secret@db');
      },
    });
    expect((await send(broken, form({}))).json()).toEqual({
      response_type: 'ephemeral',
      text: 'Could not place the call (internal error).',
    });
  });

  it('an empty /call or another command gets the usage', async () => {
    const s = await setup();
    expect((await send(s, form({ text: '  ' }))).json()).toMatchObject({
      text: expect.stringMatching(/^Usage: \/call/),
    });
    expect((await send(s, form({ command: '/dial' }))).json()).toMatchObject({
      text: expect.stringMatching(/^Unknown command \/dial\. Usage/),
    });
    expect(s.placed).toEqual([]);
  });

  it('when Twilio is slower than Slack waits, answers "Placing…" and posts the outcome to response_url', async () => {
    let release!: () => void;
    const s = await setup({
      replyWithinMs: 10,
      placeCall: (_id, to) =>
        new Promise((resolve) => {
          release = () => resolve({ callSid: `CA${'b'.repeat(32)}`, to });
        }),
    });
    const res = await send(s, form({}));
    expect(res.json()).toEqual({ response_type: 'ephemeral', text: 'Placing the call to +15551234567…' });
    expect(s.posted).toEqual([]);
    release();
    await expect.poll(() => s.posted.length).toBe(1);
    expect(s.posted[0]).toEqual([
      'https://hooks.slack.com/commands/1234/5678',
      { response_type: 'ephemeral', text: 'Calling +1 555-123-4567…' },
    ]);
  });

  it('posts a late outcome only to a Slack response_url', async () => {
    let release!: () => void;
    const s = await setup({
      replyWithinMs: 10,
      placeCall: (_id, to) =>
        new Promise((resolve) => {
          release = () => resolve({ callSid: `CA${'c'.repeat(32)}`, to });
        }),
    });
    await send(s, form({ response_url: 'http://169.254.169.254/latest/meta-data' }));
    release();
    await new Promise((r) => setImmediate(r));
    expect(s.posted).toEqual([]);
  });

  it('does not exist without SLACK_SIGNING_SECRET (404)', async () => {
    const s = await setup({ signingSecret: undefined });
    expect((await send(s, form({}))).statusCode).toBe(404);
  });
});
