/** Turn-by-turn channels over the web: the chat widget (and Slack, to come). */
export {
  registerChatWidget,
  DEFAULT_CHAT_LIMITS,
  type ChatLimits,
  type ChatWidgetDeps,
} from './chat/index.js';
export {
  registerSlackCommands,
  slackSignature,
  SLACK_COMMANDS_PATH,
  type SlackCommandDeps,
  type SlackMessage,
} from './slack/index.js';
