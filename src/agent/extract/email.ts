import { normalize } from '../text.js';

/** An email address typed ("jo@example.com") or spoken ("jo dot smith at gmail dot com"). */
export function extractEmail(text: string): string | undefined {
  const typed = /[\w.+-]+@[\w-]+(\.[\w-]+)+/.exec(text);
  if (typed) return typed[0].toLowerCase();
  const spoken = normalize(text)
    .replace(/\b(my email is|email is|it is|its|the email is|email)\b/g, ' ')
    .replace(/\s+at\s+/g, '@')
    .replace(/\s+dot\s+/g, '.')
    .replace(/\s+(underscore)\s+/g, '_')
    .replace(/\s+(dash|hyphen)\s+/g, '-');
  const m = /([a-z0-9._-]+)@([a-z0-9-]+(\.[a-z0-9-]+)+)/.exec(spoken.replace(/\s+(?=[^@]*@)/g, ''));
  return m ? `${m[1]}@${m[2]}` : undefined;
}
