import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvCell, registerLeadExportApi } from '../../src/admin/lead-export-api.js';
import type { BusinessId } from '../../src/ids.js';
import { systemClock } from '../../src/shared/index.js';
import { LeadsRepo } from '../../src/store/index.js';
import { leads } from '../../src/store/schema/index.js';
import { recordsServer, type RecordsServer } from './records-access.js';

const HEADER = 'id,createdAt,status,name,phone,email,address,need,urgency,channel,callSid';
/** More than two of the export's read batches (500), all written at one instant. */
const MANY = 1201;

/** RFC 4180, read back: quoted cells may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (quoted) {
      cell += c;
    } else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else {
      cell += c;
    }
  }
  if (cell || row.length) throw new Error('the last row does not end with CRLF');
  return rows;
}

describe('GET /api/leads/export.csv', () => {
  let s: RecordsServer;
  let tricky: string;

  beforeAll(async () => {
    s = await recordsServer(
      (app, deps) =>
        registerLeadExportApi(app, {
          ...deps,
          clock: { ...systemClock, now: () => Date.parse('2026-03-04T23:30:00Z') },
        }),
      async (db, { acme, dental }) => {
        tricky = (
          await new LeadsRepo(db).save({
            businessId: acme,
            callSid: 'CA-tricky',
            channel: 'voice',
            fields: {
              name: 'Zoë "Zee" Ñúñez',
              phone: '+15551234567',
              address: '12 Elm St, Apt 3\nSpringfield',
              need: '=HYPERLINK("http://evil.example","click")',
              urgency: '@SUM(A1)',
              email: '-2+3@example.com',
            },
            complete: true,
            transcript: [],
          })
        ).id;
        await new LeadsRepo(db).save({
          businessId: dental,
          fields: { name: 'Lee', need: '\tcleaning' },
          complete: false,
          transcript: [],
        });
        await db
          .insert(leads)
          .values(
            Array.from({ length: MANY }, (_, i) => ({ businessId: dental as BusinessId, name: `Bulk ${i}` })),
          );
      },
    );
  });
  afterAll(async () => s?.close());

  const exportCsv = (url: string, headers: Record<string, string>) =>
    s.app.inject({ method: 'GET', url: `/api/leads/export.csv${url}`, headers });

  it('is a UTF-8 CSV attachment named for the day, with the header row first', async () => {
    const res = await exportCsv(`?businessId=${s.acme}`, s.as.ownerA);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="leads-2026-03-04.csv"');
    expect(res.body.split('\r\n')[0]).toBe(HEADER);
  });

  it('quotes commas, quotes and line breaks, and makes formula-like cells plain text', async () => {
    const rows = parseCsv((await exportCsv('', s.as.ownerA)).body);
    expect(rows).toHaveLength(2);
    const lead = Object.fromEntries(HEADER.split(',').map((k, i) => [k, rows[1]![i]]));
    expect(lead).toMatchObject({
      id: tricky,
      status: 'new',
      name: 'Zoë "Zee" Ñúñez',
      address: '12 Elm St, Apt 3\nSpringfield',
      need: `'=HYPERLINK("http://evil.example","click")`,
      urgency: "'@SUM(A1)",
      email: "'-2+3@example.com",
      // A phone number starts with +: a spreadsheet would compute it too.
      phone: "'+15551234567",
      channel: 'voice',
      callSid: 'CA-tricky',
    });
    expect(Number.isNaN(Date.parse(lead['createdAt']!))).toBe(false);
  });

  it('escapes each cell as RFC 4180 and OWASP ask', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell(null)).toBe('');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('\tx')).toBe("'\tx");
    expect(csvCell('\rx')).toBe(`"'\rx"`);
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell('@x')).toBe("'@x");
    expect(csvCell('1-2')).toBe('1-2');
  });

  it('holds every matching lead, not one page, each once', async () => {
    const rows = parseCsv((await exportCsv('', s.as.ownerB)).body).slice(1);
    expect(rows).toHaveLength(MANY + 1);
    expect(new Set(rows.map((r) => r[0])).size).toBe(MANY + 1);
    expect(rows.filter((r) => r[3] === 'Lee')).toHaveLength(1);
    expect(rows.find((r) => r[3] === 'Lee')![7]).toBe("'\tcleaning");
  });

  it("is scoped like the list: a user's own business; another named answers 404", async () => {
    const own = parseCsv((await exportCsv('', s.as.agentA)).body);
    expect(own.slice(1).map((r) => r[0])).toEqual([tricky]);
    const theirs = await exportCsv(`?businessId=${s.dental}`, s.as.ownerA);
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json()).toMatchObject({ error: 'not_found' });
    const everyone = parseCsv((await exportCsv('', s.as.key)).body);
    expect(everyone).toHaveLength(MANY + 3);
  });

  it('filters by status and needs a signed-in principal', async () => {
    const won = parseCsv((await exportCsv('?status=won', s.as.key)).body);
    expect(won).toEqual([HEADER.split(',')]);
    expect((await exportCsv('?status=archived', s.as.key)).statusCode).toBe(400);
    expect((await exportCsv('', {})).statusCode).toBe(401);
  });
});
