import { Writable } from 'node:stream';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/http/logger.js';

/** The logger's own serializers: no bound parameters, whichever key an error is logged under. */

const SECRET = 'caller-said-my-address-is-12-elm-st';

/** What PostgreSQL and PGlite throw for a bad value: the value in the message, detail and params. */
function databaseError(): Error {
  const cause = Object.assign(new Error(`invalid input syntax for type uuid: "${SECRET}"`), {
    code: '22P02',
    severity: 'ERROR',
    detail: `Key (id)=(${SECRET}) is bad`,
    params: [SECRET],
    routine: 'string_to_uuid',
  });
  return new DrizzleQueryError('select * from leads where id = $1', [SECRET], cause);
}

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { log: createLogger({ level: 'info', destination }), text: () => lines.join('') };
}

describe('error logs', () => {
  it('keep message, stack, code and cause of a query error, without its parameters', () => {
    const { log, text } = capture();
    log.error({ err: databaseError() }, 'query failed');
    const entry = JSON.parse(text()) as { err: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(entry.err.message).toBe('Failed query: select * from leads where id = $1');
    expect(entry.err.stack).toMatch(/^Error: Failed query: select \* from leads where id = \$1\n\s+at /);
    expect(entry.err.cause).toMatchObject({ code: '22P02', routine: 'string_to_uuid' });
    expect(entry.err.cause.message).toBe('invalid input syntax for type uuid: "…"');
    expect(text()).not.toContain(SECRET);
  });

  it('are safe under any key, not only err', () => {
    const { log, text } = capture();
    log.warn({ error: databaseError(), failure: databaseError() }, 'something failed');
    log.error(databaseError());
    log.error({ err: databaseError().message }, 'failed');
    log.error(`query failed: ${databaseError().message}`);
    expect(text()).toContain('Failed query');
    expect(text()).not.toContain(SECRET);
  });
});
