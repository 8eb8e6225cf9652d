import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerHttpEdge } from '../../src/http/edge.js';
import { jsonDepthExceeds } from '../../src/http/json-guard.js';

/**
 * The JSON guard on a bare server whose handler, like much real code, walks the body
 * recursively (JSON.stringify): a deeply nested body would overflow its stack.
 */

let app: FastifyInstance;
beforeAll(async () => {
  app = Fastify();
  registerHttpEdge(app);
  app.post('/echo', async (req) => ({ size: JSON.stringify(req.body).length }));
  app.post('/document', { config: { jsonLimits: { maxStringLength: 200_000 } } }, async (req) => ({
    size: JSON.stringify(req.body).length,
  }));
  app.post('/form', async (req) => ({ ok: Boolean(req.body) }));
  await app.ready();
});
afterAll(() => app.close());

const post = (url: string, payload: string, type = 'application/json') =>
  app.inject({ method: 'POST', url, headers: { 'content-type': type }, payload });

describe('JSON bodies', () => {
  it('refuses deep nesting with 400 instead of a stack overflow', async () => {
    for (const depth of [33, 10_000, 400_000]) {
      const res = await post('/echo', '['.repeat(depth) + ']'.repeat(depth));
      expect(res.statusCode, String(depth)).toBe(400);
      expect(res.json()).toMatchObject({
        error: 'invalid_input',
        message: expect.stringMatching(/nested deeper than 32/),
      });
    }
    expect((await post('/echo', '['.repeat(32) + ']'.repeat(32))).statusCode).toBe(200);
  });

  it('does not count brackets inside strings, escaped quotes included', async () => {
    const res = await post('/echo', JSON.stringify({ text: '[[[[{{{{ \\" ]]' + '['.repeat(100) }));
    expect(res.statusCode).toBe(200);
    expect(jsonDepthExceeds('{"a":"\\\\"}', 1)).toBe(false);
    expect(jsonDepthExceeds('{"a":"\\\\",  "b":[[1]]}', 2)).toBe(true);
  });

  it('refuses long strings unless the route allows them', async () => {
    const body = JSON.stringify({ content: 'x'.repeat(100_000) });
    const refused = await post('/echo', body);
    expect(refused.statusCode).toBe(400);
    expect(refused.json().message).toMatch(/body\.content is 100000 characters long; at most 16384/);
    expect((await post('/document', body)).statusCode).toBe(200);
  });

  it('refuses NUL in values and keys, Infinity, prototype keys and invalid JSON, each in the one shape', async () => {
    const cases: [string, RegExp][] = [
      ['{"name":"a\\u0000b"}', /body\.name contains a NUL/],
      ['{"a\\u0000":1}', /NUL/],
      ['{"n":1e999}', /body\.n is out of range/],
      ['{"__proto__":{"admin":true}}', /"__proto__" is not accepted/],
      ['{"constructor":{"prototype":{"admin":true}}}', /"constructor" is not accepted/],
      ['{"a":', /not valid JSON/],
      ['', /empty/],
    ];
    for (const [payload, message] of cases) {
      const res = await post('/echo', payload);
      expect(res.statusCode, payload).toBe(400);
      const body = res.json() as Record<string, unknown>;
      expect(
        Object.keys(body).filter((k) => k !== 'details'),
        payload,
      ).toEqual(['error', 'message']);
      expect(body.message, payload).toMatch(message);
    }
  });

  it('refuses a body over the limit with 413 in the one shape', async () => {
    const res = await post('/echo', JSON.stringify({ a: 'x'.repeat(1024 * 1024) }));
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ error: 'payload_too_large', message: expect.any(String) });
  });

  it('refuses an unknown content type with 415 in the one shape', async () => {
    const res = await post('/echo', '<a/>', 'application/xml');
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual({ error: 'unsupported_media_type', message: expect.any(String) });
  });
});
