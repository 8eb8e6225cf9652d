export {
  registerSlackCommands,
  isSlackResponseUrl,
  SLACK_COMMANDS_PATH,
  type SlackCommandDeps,
  type SlackMessage,
} from './slash-command.js';
export { slackSignature, verifySlackSignature, type SlackSignatureCheck } from './signature.js';
