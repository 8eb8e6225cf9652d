import {
  backoffMs,
  chatUrl,
  FINAL_CLOSE_CODES,
  MAX_MESSAGE_CHARS,
  parseServerMessage,
  type Chip,
  type ClientMessage,
  type HistoryEntry,
  type ServerMessage,
} from './protocol.js';
import { CSS } from './styles.js';

/**
 * The Switchboard chat widget, embedded with one tag on any site:
 *   <script src="https://switchboard.example/widget.js" data-key="pk_…" async></script>
 * It finds its server from its own address, draws a launcher and a chat panel inside a shadow
 * root, and chats over a WebSocket (protocol.ts). The conversation's resume token is kept in
 * localStorage per key, so a reload carries on the same conversation and shows its history.
 */

// Read now: document.currentScript is only set while this script first runs.
const script = document.currentScript as HTMLScriptElement | null;
const key = script?.dataset['key'];
// Every helper below is a function declaration (hoisted), so starting here is safe.
if (script && key) start(script.src, key);

function start(src: string, publicKey: string): void {
  const storeKey = `switchboard-chat:${publicKey}`;
  const openKey = `${storeKey}:open`;
  const url = chatUrl(src);

  // --- the DOM: a host element, its shadow root, launcher and panel ---
  const host = document.createElement('div');
  host.setAttribute('data-switchboard-chat', '');
  const root = host.attachShadow({ mode: 'open' });
  style(root);

  const launcher = el(
    'button',
    { class: 'launcher', type: 'button', 'aria-expanded': 'false' },
    'Chat with us',
  );
  const panel = el('section', { class: 'panel', role: 'dialog', 'aria-label': 'Chat', hidden: '' });
  const title = el('h2', { id: 'sb-title' }, 'Chat');
  const close = el('button', { class: 'close', type: 'button', 'aria-label': 'Close chat' }, '\u00d7');
  const log = el('ol', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Messages' });
  const chips = el('div', { class: 'chips', role: 'group', 'aria-label': 'Suggestions' });
  const form = el('form', { 'aria-label': 'Send a message' });
  const label = el('label', { class: 'sr', for: 'sb-input' }, 'Your message');
  const input = el('input', {
    id: 'sb-input',
    type: 'text',
    autocomplete: 'off',
    maxlength: String(MAX_MESSAGE_CHARS),
    placeholder: 'Type your message…',
  }) as HTMLInputElement;
  // Never disabled: what is written while (re)connecting waits in `pending` and goes on ready.
  const send = el('button', { class: 'send', type: 'submit' }, 'Send');
  const status = el('p', { class: 'sr', role: 'status' });
  const brand = el('p', { class: 'brand', hidden: '' }, 'Powered by Switchboard');
  panel.id = 'sb-panel';
  launcher.setAttribute('aria-controls', 'sb-panel');
  panel.setAttribute('aria-labelledby', 'sb-title');
  form.append(label, input, send);
  panel.append(el('header', {}, title, close), log, chips, form, brand, status);
  root.append(launcher, panel);
  document.body.append(host);

  // --- the conversation ---
  let socket: WebSocket | undefined;
  let ready = false;
  let ended = false;
  let attempts = 0;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let typing: HTMLElement | undefined;
  const pending: string[] = [];
  /** The last message sent that no reply has answered yet. */
  let unanswered: string | undefined;
  /** True once an unanswered message was carried into a new conversation (only once). */
  let carried = false;
  let seq = 0;

  function connect(): void {
    if (socket) return;
    clearTimeout(retry);
    setStatus('Connecting…');
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      const resume = load(storeKey);
      wire(ws, { type: 'hello', key: publicKey, ...(resume ? { resume } : {}) });
    };
    ws.onmessage = (e) => {
      const m = parseServerMessage(e.data);
      if (m) receive(m);
    };
    ws.onclose = (e) => {
      if (socket !== ws) return;
      socket = undefined;
      ready = false;
      showTyping(false);
      if (FINAL_CLOSE_CODES.includes(e.code)) return setStatus('Chat is not available here.');
      setStatus('Reconnecting…');
      retry = setTimeout(connect, backoffMs(attempts++));
    };
  }

  function receive(m: ServerMessage): void {
    switch (m.type) {
      case 'ready':
        ready = true;
        ended = false;
        attempts = 0;
        save(storeKey, m.conversation);
        title.textContent = m.business.name;
        launcher.textContent = `Chat with ${m.business.name}`;
        host.setAttribute('data-level', m.level);
        brand.hidden = !m.branding;
        drawHistory(m.history);
        if (unanswered !== undefined) {
          // Sent just as the old socket died: send it again unless the server has it.
          const last = m.history.filter((h) => h.from === 'visitor').pop();
          if (last?.text !== unanswered && !pending.includes(unanswered)) pending.unshift(unanswered);
          unanswered = undefined;
        }
        drawChips(m.chips);
        log.scrollTop = log.scrollHeight;
        setStatus('Connected');
        for (const text of pending.splice(0)) say(text);
        return;
      case 'typing':
        return showTyping(true);
      case 'reply':
        unanswered = undefined;
        carried = false;
        showTyping(false);
        return add('agent', m.text);
      case 'ended':
        showTyping(false);
        ended = true;
        // 'ended' alone: the conversation had closed before this message (idle); carry it over.
        if (m.reason === 'ended' && unanswered !== undefined && !carried) {
          carried = true;
          return say(unanswered);
        }
        return note('This conversation has ended. Write again to start a new one.');
      case 'error':
        showTyping(false);
        if (m.code === 'bad_token') save(storeKey, undefined);
        return note(m.message);
    }
  }

  /** Sends what the visitor wrote; after an end, a new conversation is started first. */
  function say(raw: string): void {
    const text = raw.trim().slice(0, MAX_MESSAGE_CHARS);
    if (!text) return;
    if (ended && socket) {
      // One hello per socket: a fresh socket resumes into a new conversation.
      const old = socket;
      socket = undefined;
      ready = false;
      ended = false;
      old.close(1000, 'new conversation');
    }
    if (!ready || !socket) {
      pending.push(text);
      connect();
      return;
    }
    add('visitor', text);
    unanswered = text;
    wire(socket, { type: 'message', id: `m${Date.now().toString(36)}${seq++}`, text });
  }

  // --- drawing ---
  function add(from: 'visitor' | 'agent', text: string): void {
    const li = el('li', { class: `msg ${from}` });
    li.append(
      el('span', { class: 'sr' }, from === 'agent' ? `${title.textContent ?? 'Agent'}: ` : 'You: '),
      text,
    );
    log.insertBefore(li, typing ?? null);
    log.scrollTop = log.scrollHeight;
  }

  function note(text: string): void {
    log.append(el('li', { class: 'note' }, text));
    log.scrollTop = log.scrollHeight;
  }

  function drawHistory(history: HistoryEntry[]): void {
    log.replaceChildren();
    typing = undefined;
    for (const h of history) add(h.from, h.text);
  }

  function drawChips(list: Chip[]): void {
    chips.replaceChildren(
      ...list.map((c) => {
        const b = el('button', { class: 'chip', type: 'button' }, c.label);
        b.addEventListener('click', () => say(c.text));
        return b;
      }),
    );
  }

  function showTyping(on: boolean): void {
    if (on && !typing) {
      typing = el('li', { class: 'typing', 'aria-label': 'Typing' }, 'Typing…');
      log.append(typing);
      log.scrollTop = log.scrollHeight;
    } else if (!on && typing) {
      typing.remove();
      typing = undefined;
    }
  }

  function setStatus(text: string): void {
    status.textContent = text;
  }

  // --- opening and closing ---
  function open(focus: boolean): void {
    panel.hidden = false;
    launcher.setAttribute('aria-expanded', 'true');
    save(openKey, '1', 'session');
    connect();
    if (focus) input.focus();
  }

  function hide(): void {
    panel.hidden = true;
    launcher.setAttribute('aria-expanded', 'false');
    save(openKey, undefined, 'session');
    launcher.focus();
  }

  launcher.addEventListener('click', () => (panel.hidden ? open(true) : hide()));
  close.addEventListener('click', hide);
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') hide();
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    say(input.value);
    input.value = '';
    input.focus();
  });

  // A conversation under way shows itself again after a reload.
  if (load(openKey, 'session')) open(false);
  else if (load(storeKey)) connect();
}

function wire(ws: WebSocket, m: ClientMessage): void {
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m));
}

function el(tag: string, attrs: Record<string, string>, ...children: (Node | string)[]): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

/** A constructed sheet where the browser has them: a strict page CSP does not block it as it would a <style>. */
function style(root: ShadowRoot): void {
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } catch {
    const s = document.createElement('style');
    s.textContent = CSS;
    root.append(s);
  }
}

/** Storage may be off (private modes, blocked third-party storage): the chat works without it. */
type Kept = 'local' | 'session';
function storage(kept: Kept): Storage {
  return kept === 'local' ? localStorage : sessionStorage;
}

function load(k: string, kept: Kept = 'local'): string | undefined {
  try {
    return storage(kept).getItem(k) ?? undefined;
  } catch {
    return undefined;
  }
}

function save(k: string, v: string | undefined, kept: Kept = 'local'): void {
  try {
    if (v === undefined) storage(kept).removeItem(k);
    else storage(kept).setItem(k, v);
  } catch {
    // not kept: the next load starts a new conversation
  }
}
