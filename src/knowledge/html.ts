import { Parser } from 'htmlparser2';
import { squash, type Block, type ExtractedDocument } from './blocks.js';

/**
 * HTML to blocks with htmlparser2 (a forgiving streaming parser: broken markup still yields its
 * text). Scripts, styles, navigation and other non-prose elements are dropped; headings become
 * heading blocks; block-level elements end a paragraph; table cells are joined with commas so a
 * price row reads "Drain cleaning, $150". Entities are decoded. <title> becomes the title.
 */

/** Elements whose content is never prose a caller should hear. */
const SKIP = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'svg',
  'math',
  'canvas',
  'iframe',
  'object',
  'nav',
  'button',
  'select',
  'option',
  'textarea',
]);

const BLOCK = new Set([
  'p',
  'div',
  'section',
  'article',
  'main',
  'header',
  'footer',
  'aside',
  'ul',
  'ol',
  'li',
  'dl',
  'dt',
  'dd',
  'table',
  'thead',
  'tbody',
  'tfoot',
  'tr',
  'blockquote',
  'pre',
  'form',
  'fieldset',
  'figure',
  'figcaption',
  'address',
  'hr',
  'br',
  'body',
  'html',
  'details',
  'summary',
]);

const VOID = new Set([
  'br',
  'hr',
  'img',
  'input',
  'meta',
  'link',
  'area',
  'base',
  'col',
  'embed',
  'source',
  'track',
  'wbr',
]);

export function htmlToBlocks(html: string): ExtractedDocument {
  const blocks: Block[] = [];
  let title: string | undefined;
  let skipDepth = 0;
  let inTitle = false;
  let titleText = '';
  let heading: { level: number; text: string } | undefined;
  let para = '';
  let cellsInRow = 0;

  const flush = () => {
    const t = squash(para);
    if (t) blocks.push({ kind: 'text', text: t });
    para = '';
  };

  const parser = new Parser(
    {
      onopentag(name) {
        if (skipDepth > 0) {
          if (SKIP.has(name) && !VOID.has(name)) skipDepth++;
          return;
        }
        if (SKIP.has(name)) {
          skipDepth = 1;
          return;
        }
        if (name === 'title') {
          inTitle = true;
          return;
        }
        const h = /^h([1-6])$/.exec(name);
        if (h) {
          flush();
          heading = { level: Number(h[1]), text: '' };
          return;
        }
        if (name === 'tr') cellsInRow = 0;
        if (name === 'td' || name === 'th') {
          if (cellsInRow++ > 0) para += ', ';
          return;
        }
        if (BLOCK.has(name)) flush();
      },
      ontext(text) {
        if (skipDepth > 0) return;
        if (inTitle) titleText += text;
        else if (heading) heading.text += text;
        else para += text;
      },
      onclosetag(name, isImplied) {
        if (skipDepth > 0) {
          if (SKIP.has(name) && !(isImplied && VOID.has(name))) skipDepth--;
          return;
        }
        if (name === 'title') {
          inTitle = false;
          const t = squash(titleText);
          if (t) title ??= t;
          return;
        }
        if (/^h[1-6]$/.test(name) && heading) {
          const t = squash(heading.text);
          if (t) blocks.push({ kind: 'heading', level: heading.level, text: t });
          heading = undefined;
          return;
        }
        if (name === 'td' || name === 'th') return;
        if (BLOCK.has(name)) flush();
      },
    },
    { decodeEntities: true, lowerCaseTags: true, recognizeSelfClosing: true },
  );
  parser.write(html);
  parser.end();
  if (heading) {
    const t = squash(heading.text);
    if (t) blocks.push({ kind: 'heading', level: heading.level, text: t });
  }
  flush();
  return title ? { blocks, title } : { blocks };
}

/** Text of an HTML fragment on one line: tags dropped, entities decoded (for Markdown's inline HTML). */
export function htmlInlineText(fragment: string): string {
  let out = '';
  let skipDepth = 0;
  const parser = new Parser(
    {
      onopentag(name) {
        if (SKIP.has(name) || skipDepth > 0) skipDepth++;
      },
      ontext(text) {
        if (skipDepth === 0) out += text;
      },
      onclosetag(name) {
        if (skipDepth > 0) skipDepth--;
        else if (name === 'br' || BLOCK.has(name)) out += ' ';
      },
    },
    { decodeEntities: true, lowerCaseTags: true, recognizeSelfClosing: true },
  );
  parser.write(fragment);
  parser.end();
  return out;
}
