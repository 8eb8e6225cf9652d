/**
 * What a row in the calls list is, in words: a phone call from or to a number, a WhatsApp
 * conversation or call, a chat in the website widget, a browser call. One wording for the list,
 * the call's page and its heading.
 */
export interface TitledCall {
  channel: string;
  direction: string;
  fromNumber: string | null;
  toNumber: string | null;
}

export function conversationTitle(c: TitledCall): string {
  const outbound = c.direction === 'outbound-api' || c.direction === 'outbound-dial';
  const party = (outbound ? c.toNumber : c.fromNumber)?.replace(/^whatsapp:/, '') ?? 'unknown number';
  switch (c.channel) {
    case 'chat':
      return 'Chat with a website visitor';
    case 'web':
      return 'Browser call';
    case 'whatsapp':
      return outbound ? `WhatsApp to ${party}` : `WhatsApp from ${party}`;
    default:
      return outbound ? `Call to ${party}` : `Call from ${party}`;
  }
}
