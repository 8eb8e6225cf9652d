import { marked, type Token, type Tokens } from 'marked';
import { squash, type Block, type ExtractedDocument } from './blocks.js';
import { htmlInlineText, htmlToBlocks } from './html.js';

/**
 * Markdown to blocks with marked's lexer (CommonMark and GFM tables): syntax stripped, headings
 * kept as headings, each list item and table row its own line of prose ("Drain cleaning: $150"),
 * code blocks kept as text, images dropped, inline HTML stripped and entities decoded. A first
 * level-1 heading is offered as the title.
 */
export function markdownToBlocks(markdown: string): ExtractedDocument {
  const blocks: Block[] = [];
  walk(marked.lexer(markdown), blocks);
  const first = blocks.find((b) => b.kind === 'heading');
  return first && first.kind === 'heading' && first.level === 1 ? { blocks, title: first.text } : { blocks };
}

function walk(tokens: readonly Token[], out: Block[]): void {
  for (const t of tokens) {
    switch (t.type) {
      case 'heading': {
        const h = t as Tokens.Heading;
        const text = inline(h.tokens);
        if (text) out.push({ kind: 'heading', level: h.depth, text });
        break;
      }
      case 'paragraph':
      case 'text': {
        const p = t as Tokens.Paragraph | Tokens.Text;
        pushText(out, p.tokens ? inline(p.tokens) : squash(htmlInlineText(p.text)));
        break;
      }
      case 'list':
        for (const item of (t as Tokens.List).items) walkListItem(item, out);
        break;
      case 'blockquote':
        walk((t as Tokens.Blockquote).tokens, out);
        break;
      case 'code':
        pushText(out, squash((t as Tokens.Code).text));
        break;
      case 'table': {
        const table = t as Tokens.Table;
        const header = table.header.map((c) => inline(c.tokens));
        for (const row of table.rows) {
          const cells = row.map((c) => inline(c.tokens));
          // Two columns read as "name: value"; wider rows as "Header value, Header value".
          pushText(
            out,
            cells.length === 2
              ? `${cells[0]}: ${cells[1]}`
              : cells.map((c, i) => (header[i] && i > 0 ? `${header[i]} ${c}` : c)).join(', '),
          );
        }
        break;
      }
      case 'html':
        out.push(...htmlToBlocks((t as Tokens.HTML).text).blocks);
        break;
      default:
        // space, hr, def: nothing to say.
        break;
    }
  }
}

function walkListItem(item: Tokens.ListItem, out: Block[]): void {
  // The item's own text on one line; nested lists and paragraphs after it on lines of their own.
  const own: string[] = [];
  const rest: Token[] = [];
  for (const t of item.tokens) {
    if (rest.length === 0 && (t.type === 'text' || t.type === 'paragraph')) {
      const p = t as Tokens.Text;
      own.push(p.tokens ? inline(p.tokens) : squash(p.text));
    } else rest.push(t);
  }
  pushText(out, own.join(' '));
  walk(rest, out);
}

function pushText(out: Block[], text: string): void {
  const t = squash(text);
  if (t) out.push({ kind: 'text', text: t });
}

/** Inline tokens to plain text: inline HTML tags and entities ("&amp;") go through the HTML parser once. */
function inline(tokens: readonly Token[] | undefined): string {
  return squash(htmlInlineText(inlineRaw(tokens)));
}

function inlineRaw(tokens: readonly Token[] | undefined): string {
  if (!tokens) return '';
  let s = '';
  for (const t of tokens) {
    switch (t.type) {
      case 'image':
        break;
      case 'br':
        s += ' ';
        break;
      case 'html':
        s += (t as Tokens.HTML).text;
        break;
      case 'codespan':
      case 'escape':
        s += (t as Tokens.Codespan).text;
        break;
      default: {
        const withChildren = t as { tokens?: Token[]; text?: string };
        s += withChildren.tokens ? inlineRaw(withChildren.tokens) : (withChildren.text ?? '');
      }
    }
  }
  return s;
}
