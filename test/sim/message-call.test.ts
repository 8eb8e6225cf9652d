import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatCallSummary } from '../../src/sim/call-summary.js';
import { parseCallScript } from '../../src/sim/script.js';
import { simulateCall } from '../../src/sim/simulated-call.js';
import { readTwiml } from '../../src/sim/twiml-reader.js';
import { twilioSignatureVerifier } from '../../src/telephony/twilio/signature.js';
import { gatherMessageTwiml } from '../../src/telephony/twilio/message-taking-twiml.js';
import { sayAndHangupTwiml } from '../../src/telephony/twilio/twiml.js';

/**
 * The simulator plays Twilio's part of a call answered with <Gather input="speech">: a `say` turn
 * is what Twilio heard (SpeechResult to the action), anything else is nothing heard (the
 * <Redirect> is followed), every request signed, until a Say and a hang-up.
 */

const AUTH_TOKEN = 'sim-auth-token-for-tests';
let app: FastifyInstance;
let base: string;
let posts: Array<{ path: string; params: Record<string, string>; signed: boolean }>;
/** What the fake server answers a message post with, by attempt and whether words came. */
let answer: (attempt: number, words: string | undefined) => string;

beforeEach(async () => {
  posts = [];
  answer = (attempt, words) =>
    words
      ? sayAndHangupTwiml('Thanks. Goodbye.')
      : attempt < 2
        ? gatherMessageTwiml({ publicUrl: base, attempt: attempt + 1, prompt: 'Once more?' })
        : sayAndHangupTwiml('Goodbye.');
  const verifier = twilioSignatureVerifier(AUTH_TOKEN);
  app = Fastify();
  await app.register(formbody);
  app.post('/*', async (req, reply) => {
    const params = req.body as Record<string, string>;
    const signature = req.headers['x-twilio-signature'];
    posts.push({
      path: req.url,
      params,
      signed: verifier.webhook(typeof signature === 'string' ? signature : undefined, base + req.url, params),
    });
    if (req.url === '/twilio/voice')
      return reply
        .type('text/xml')
        .send(gatherMessageTwiml({ publicUrl: base, attempt: 1, prompt: 'Hello.' }));
    if (req.url.startsWith('/twilio/message')) {
      const attempt = Number(new URL(req.url, base).searchParams.get('attempt'));
      return reply.type('text/xml').send(answer(attempt, params['SpeechResult']));
    }
    return reply.code(204).send();
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterEach(async () => app.close());

const sim = () => ({
  baseUrl: base,
  authToken: AUTH_TOKEN,
  callerAudio: async () => {
    throw new Error('no audio on a <Gather>');
  },
});

describe('readTwiml', () => {
  it('reads a speech <Gather>: its action, its prompt and the <Redirect> after it', () => {
    expect(
      readTwiml(
        gatherMessageTwiml({ publicUrl: 'https://x.example', attempt: 1, prompt: 'Hello & welcome.' }),
      ),
    ).toEqual({
      kind: 'gather',
      action: 'https://x.example/twilio/message?attempt=1',
      method: 'POST',
      say: ['Hello & welcome.'],
      redirect: 'https://x.example/twilio/message?attempt=1',
    });
  });
});

describe('simulateCall on a <Gather input="speech">', () => {
  it('posts the first say turn as SpeechResult to the action, signed, and ends on the Say and hang-up', async () => {
    const report = await simulateCall(
      parseCallScript({ turns: [{ say: 'my basement is flooding' }] }),
      sim(),
    );
    expect(report.answered).toBe('message');
    expect(report.closedBy).toBe('server');
    expect(report.twimlSay).toEqual(['Hello.', 'Thanks. Goodbye.']);
    const message = posts.find((p) => p.path.startsWith('/twilio/message'));
    expect(message).toMatchObject({
      path: '/twilio/message?attempt=1',
      signed: true,
      params: expect.objectContaining({ SpeechResult: 'my basement is flooding', CallStatus: 'in-progress' }),
    });
    expect(posts.every((p) => p.signed)).toBe(true);
    // Status callbacks as for any call: answered, then completed.
    expect(posts.filter((p) => p.path === '/twilio/status').map((p) => p.params['CallStatus'])).toEqual([
      'in-progress',
      'completed',
    ]);
  });

  it('follows the <Redirect> without SpeechResult when the turn is not words, or none is left', async () => {
    const report = await simulateCall(parseCallScript({ turns: [{ silenceMs: 10 }] }), sim());
    expect(report.twimlSay).toEqual(['Hello.', 'Once more?', 'Goodbye.']);
    const messages = posts.filter((p) => p.path.startsWith('/twilio/message'));
    expect(messages.map((p) => p.path)).toEqual(['/twilio/message?attempt=1', '/twilio/message?attempt=2']);
    expect(messages.every((p) => p.params['SpeechResult'] === undefined)).toBe(true);
  });

  it('stops a server that never stops asking, as Twilio would', async () => {
    answer = () => gatherMessageTwiml({ publicUrl: base, attempt: 1, prompt: 'Again?' });
    const report = await simulateCall(parseCallScript({ turns: [] }), sim());
    expect(report.closedBy).toBe('timeout');
    expect(posts.filter((p) => p.path.startsWith('/twilio/message')).length).toBeLessThanOrEqual(10);
  });

  it('summarizes the call as one taken as a message, without a latency section', async () => {
    const report = await simulateCall(parseCallScript({ turns: [{ say: 'call me back' }] }), sim());
    const text = formatCallSummary(report);
    expect(text).toContain('Answered by message taking');
    expect(text).not.toContain('Latency');
  });
});
