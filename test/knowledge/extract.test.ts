import { describe, expect, it } from 'vitest';
import { detectFormat } from '../../src/knowledge/format.js';
import { extractDocument } from '../../src/knowledge/extract.js';
import {
  EmptyDocumentError,
  UnreadableDocumentError,
  UnsupportedDocumentError,
} from '../../src/knowledge/errors.js';
import { makePdf } from './pdf-fixture.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('extraction', () => {
  it('keeps plain-text paragraphs, joins wrapped lines and takes short title lines for headings', async () => {
    const doc = await extractDocument({
      format: 'text',
      text: 'Emergency service\nWe answer burst pipes and floods\nat any hour of the day.\n\n- Cash\n- Card\n\nWhy so cheap\nBecause we are.',
    });
    expect(doc.blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Emergency service' },
      { kind: 'text', text: 'We answer burst pipes and floods at any hour of the day.' },
      { kind: 'text', text: 'Cash' },
      { kind: 'text', text: 'Card' },
      { kind: 'heading', level: 1, text: 'Why so cheap' },
      { kind: 'text', text: 'Because we are.' },
    ]);
  });

  it('does not take the short tail of a wrapped sentence for a heading', async () => {
    const doc = await extractDocument({
      format: 'text',
      text: 'We serve Oak Park, Evanston and\nSkokie\nToo.',
    });
    expect(doc.blocks).toEqual([{ kind: 'text', text: 'We serve Oak Park, Evanston and Skokie Too.' }]);
  });

  it('strips Markdown syntax, keeps headings, reads tables as rows and decodes entities', async () => {
    const md = [
      '# Prices &amp; fees',
      '',
      'Some **bold** text with [a link](http://x.test) and `code` <b>inline html</b>. ![logo](l.png)',
      '',
      '## Drains',
      '',
      '- Drain *cleaning* from $150',
      '- Camera inspection',
      '',
      '| Service | Price |',
      '|---|---|',
      '| Water heater flush | $120 |',
      '',
      '> Prices include tax.',
    ].join('\n');
    const doc = await extractDocument({ format: 'markdown', text: md });
    expect(doc.title).toBe('Prices & fees');
    expect(doc.blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Prices & fees' },
      { kind: 'text', text: 'Some bold text with a link and code inline html.' },
      { kind: 'heading', level: 2, text: 'Drains' },
      { kind: 'text', text: 'Drain cleaning from $150' },
      { kind: 'text', text: 'Camera inspection' },
      { kind: 'text', text: 'Water heater flush: $120' },
      { kind: 'text', text: 'Prices include tax.' },
    ]);
  });

  it('strips HTML tags, scripts, styles and navigation, keeping headings and the title', async () => {
    const html = `<!doctype html><html><head><title>Acme Plumbing</title><style>p{color:red}</style>
      <script>var x = "<p>not text</p>";</script></head><body>
      <nav><a href="/">Home</a> <a href="/about">About</a></nav>
      <h1>Our services</h1><p>We fix <em>leaks</em> &amp; clogs.<br>Same day.</p>
      <h2>Prices</h2><table><tr><th>Service</th><th>Price</th></tr><tr><td>Drain cleaning</td><td>$150</td></tr></table>
      <ul><li>Licensed</li><li>Insured</li></ul><noscript>Enable JS</noscript></body></html>`;
    const doc = await extractDocument({ format: 'html', text: html });
    expect(doc.title).toBe('Acme Plumbing');
    expect(doc.blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Our services' },
      { kind: 'text', text: 'We fix leaks & clogs.' },
      { kind: 'text', text: 'Same day.' },
      { kind: 'heading', level: 2, text: 'Prices' },
      { kind: 'text', text: 'Service, Price' },
      { kind: 'text', text: 'Drain cleaning, $150' },
      { kind: 'text', text: 'Licensed' },
      { kind: 'text', text: 'Insured' },
    ]);
  });

  it('reads the text of a PDF made at test time, page by page, with its title', async () => {
    const pdf = makePdf(
      [
        ['Emergency service', 'We answer burst pipes 24 hours a day.', 'Call (312) 555-0100.'],
        ['Warranty', 'All repairs are guaranteed for one year.'],
      ],
      { title: 'Acme handbook' },
    );
    const doc = await extractDocument({ format: 'pdf', bytes: pdf });
    expect(doc.title).toBe('Acme handbook');
    expect(doc.blocks).toEqual([
      { kind: 'heading', level: 1, text: 'Emergency service' },
      { kind: 'text', text: 'We answer burst pipes 24 hours a day. Call (312) 555-0100.' },
      { kind: 'heading', level: 1, text: 'Warranty' },
      { kind: 'text', text: 'All repairs are guaranteed for one year.' },
    ]);
  });

  it('says a damaged PDF cannot be read and a PDF without text needs OCR', async () => {
    await expect(extractDocument({ format: 'pdf', bytes: enc('%PDF-1.4 garbage') })).rejects.toThrow(
      UnreadableDocumentError,
    );
    await expect(extractDocument({ format: 'pdf', bytes: makePdf([[]]) })).rejects.toThrow(/no text layer/);
  });

  it('refuses documents with no text and binary bytes labelled as text', async () => {
    await expect(extractDocument({ format: 'html', text: '<script>x()</script>' })).rejects.toThrow(
      EmptyDocumentError,
    );
    await expect(extractDocument({ format: 'markdown', text: '# Only a heading' })).rejects.toThrow(
      EmptyDocumentError,
    );
    await expect(extractDocument({ format: 'text', bytes: new Uint8Array([72, 0, 1, 2]) })).rejects.toThrow(
      /binary/,
    );
  });
});

describe('format detection', () => {
  it('goes by media type, then file name, then the PDF signature', () => {
    expect(detectFormat({ mime: 'application/pdf' })).toBe('pdf');
    expect(detectFormat({ mime: 'text/html; charset=utf-8' })).toBe('html');
    expect(detectFormat({ mime: 'text/plain', filename: 'faq.md' })).toBe('markdown');
    expect(detectFormat({ mime: 'application/octet-stream', filename: 'menu.HTM' })).toBe('html');
    expect(detectFormat({ filename: 'notes.txt' })).toBe('text');
    expect(detectFormat({ bytes: enc('%PDF-1.7\n...') })).toBe('pdf');
  });

  it('names the supported types when refusing one', () => {
    expect(() => detectFormat({ mime: 'image/png' })).toThrow(UnsupportedDocumentError);
    expect(() => detectFormat({ mime: 'image/png' })).toThrow(
      /"image\/png".*text\/plain, text\/markdown, text\/html, application\/pdf/,
    );
    expect(() => detectFormat({ filename: 'price list.docx' })).toThrow(/"\.docx"/);
    expect(() => detectFormat({})).toThrow(/no media type or file name/);
  });
});
