import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Conversations } from '../../conversations/index.js';
import { BuiltAssets, builtWebDir, sendAsset } from '../../http/built-assets.js';
import { sendError } from '../../http/errors.js';
import type { Logger } from '../../shared/index.js';
import type { Business } from '../../store/index.js';
import { PUBLIC_KEY_PATTERN } from './chat-protocol.js';
import {
  ConversationSockets,
  DEFAULT_CHAT_LIMITS,
  handleChatSocket,
  RateWindow,
  type ChatLimits,
} from './chat-socket.js';
import { DEMO_CSP, DEMO_CSS, demoPage } from './demo-page.js';
import { ResumeTokens } from './resume-token.js';
import { normalOrigin, widgetConfigOf } from './widget-settings.js';

/**
 * The chat widget's routes, all public (the key in the page only names a business):
 *   GET /widget.js       the built widget (web/widget -> dist/web/widget), for any site's <script>
 *   GET /widget/config   ?key=pk_… -> the business's name, widget level, branding, quick replies
 *   GET /chat            the WebSocket the widget chats over (chat-protocol.ts)
 *   GET /demo            a page with the widget embedded by its one script tag (?key=, else the first business)
 */

export interface ChatWidgetDeps {
  conversations: Conversations;
  /** BusinessesRepo fits. */
  businesses: {
    findByPublicKey(publicKey: string): Promise<Business | undefined>;
    /** Oldest first: /demo without a key shows the first (the seeded demo business). */
    list(): Promise<Business[]>;
  };
  /** Signs the widget's resume tokens (at least 32 characters; a signing key is derived from it). */
  tokenSecret: string;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** PUBLIC_URL: its origin may always chat (the /demo page), even where a business lists origins. */
  publicUrl?: string;
  limits?: Partial<ChatLimits>;
  /** Where the built widget.js is (tests point elsewhere). */
  widgetDir?: string;
  /** Epoch ms, for the rate limit (tests inject a clock). */
  now?: () => number;
}

/** dist/web/widget. */
export const DEFAULT_WIDGET_DIR = builtWebDir('widget');

const NOT_BUILT = 'The chat widget is not built: run npm run build.';

export function registerChatWidget(app: FastifyInstance, deps: ChatWidgetDeps): void {
  const widget = new BuiltAssets(deps.widgetDir ?? DEFAULT_WIDGET_DIR);
  const tokens = new ResumeTokens(deps.tokenSecret, deps.now);
  const sockets = new ConversationSockets();
  const limits: ChatLimits = { ...DEFAULT_CHAT_LIMITS, ...deps.limits };
  const newVisitors = new RateWindow(limits.newVisitorsPerMinute, deps.now);
  const ownOrigin = deps.publicUrl === undefined ? undefined : normalOrigin(deps.publicUrl);
  const hidden = { schema: { hide: true } };

  /** Any site may load the script and read a config: they are public by design. */
  const crossOrigin = (reply: FastifyReply): FastifyReply =>
    reply
      .header('access-control-allow-origin', '*')
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('x-content-type-options', 'nosniff');

  app.get('/widget.js', hidden, async (req, reply) => {
    const file = await widget.load('widget.js');
    if (!file) return sendError(reply, 503, 'widget_not_built', NOT_BUILT);
    // Sites embed it without a hash: they revalidate (a 304) and so always get the current widget.
    return sendAsset(req, crossOrigin(reply), 'widget.js', file);
  });

  app.get('/widget/config', hidden, async (req, reply) => {
    const { key } = req.query as { key?: unknown };
    crossOrigin(reply).header('cache-control', 'no-cache');
    if (typeof key !== 'string' || !PUBLIC_KEY_PATTERN.test(key)) {
      return sendError(reply, 400, 'bad_key', 'Give the widget key as ?key=pk_ followed by 32 hex digits.');
    }
    const business = await deps.businesses.findByPublicKey(key);
    if (!business) return sendError(reply, 404, 'unknown_key', 'No business has this widget key.');
    return reply.send(widgetConfigOf(business));
  });

  app.get('/chat', { websocket: true, ...hidden }, (socket, req) => {
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    handleChatSocket(
      socket,
      { origin, ip: req.ip },
      { ...deps, tokens, sockets, newVisitors, limits, ownOrigin },
    );
  });

  app.get('/demo', hidden, async (req, reply) => {
    const { key } = req.query as { key?: unknown };
    let business: Business | undefined;
    if (typeof key === 'string') {
      business = PUBLIC_KEY_PATTERN.test(key) ? await deps.businesses.findByPublicKey(key) : undefined;
      if (!business) return sendError(reply, 404, 'unknown_key', 'No business has this widget key.');
    } else {
      business = (await deps.businesses.list())[0];
      if (!business) return sendError(reply, 404, 'not_found', 'There is no business to show yet.');
    }
    return reply
      .header('content-security-policy', DEMO_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'same-origin')
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(demoPage(business, ownOrigin));
  });

  app.get('/demo.css', hidden, async (_req, reply) =>
    reply.header('cache-control', 'public, max-age=300').type('text/css; charset=utf-8').send(DEMO_CSS),
  );
}
