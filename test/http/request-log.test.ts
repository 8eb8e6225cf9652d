import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerHealthRoutes } from '../../src/http/health.js';
import { createLogger, prettyDestination } from '../../src/http/logger.js';
import { Metrics } from '../../src/http/metrics.js';
import { RequestLogController } from '../../src/http/request-log.js';

function sink() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { stream, lines };
}

async function serverLoggingAt(level: string) {
  const out = sink();
  const app = Fastify({
    loggerInstance: createLogger({ level, destination: out.stream }) as FastifyBaseLogger,
    logController: new RequestLogController(),
  });
  registerHealthRoutes(app, {
    metrics: new Metrics(),
    activeSessions: () => 0,
    dependencies: async () => ({ database: { status: 'embedded' } }),
    startedAt: new Date(),
  });
  app.get('/api/calls', async () => ({ calls: [] }));
  await app.ready();
  /** The request log lines of one request (each request is made alone). */
  const requestLines = async (url: string) => {
    out.lines.length = 0;
    expect((await app.inject({ url })).statusCode).toBe(200);
    return out.lines
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .filter((l) => l.msg === 'incoming request' || l.msg === 'request completed');
  };
  return { app, requestLines };
}

describe('request log lines', () => {
  it('health and metrics requests log at debug: silent at info, there at debug', async () => {
    for (const level of ['info', 'debug'] as const) {
      const { app, requestLines } = await serverLoggingAt(level);
      for (const url of ['/health', '/health/metrics', '/metrics']) {
        const lines = await requestLines(url);
        if (level === 'info') expect(lines, url).toEqual([]);
        else {
          expect(
            lines.map((l) => l.msg),
            url,
          ).toEqual(['incoming request', 'request completed']);
          expect(lines.every((l) => l.level === 20)).toBe(true);
        }
      }
      await app.close();
    }
  });

  it('other routes still log their requests at info', async () => {
    const { app, requestLines } = await serverLoggingAt('info');
    expect((await requestLines('/api/calls')).map((l) => [l.msg, l.level])).toEqual([
      ['incoming request', 30],
      ['request completed', 30],
    ]);
    await app.close();
  });
});

describe('log format', () => {
  it('is JSON to a given destination and readable text through the pretty destination, redaction kept', async () => {
    const json = sink();
    createLogger({ level: 'info', destination: json.stream }).info(
      { callSid: 'CA1', twilio: { authToken: 'secret-token' } },
      'call ended',
    );
    expect(JSON.parse(json.lines[0]!)).toMatchObject({
      msg: 'call ended',
      callSid: 'CA1',
      twilio: { authToken: '[redacted]' },
    });

    // What a terminal gets: one line with time, level and message, no JSON braces around it.
    const text = sink();
    const pretty = prettyDestination({ colorize: false, destination: text.stream });
    const log = createLogger({ level: 'info', destination: pretty });
    log.info({ callSid: 'CA1', twilio: { authToken: 'secret-token' } }, 'call ended');
    await new Promise((r) => setTimeout(r, 50));
    expect(text.lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: call ended/);
    expect(text.lines.join('\n')).toContain('[redacted]');
    expect(text.lines.join('\n')).not.toContain('secret-token');
  });
});
