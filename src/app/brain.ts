import {
  createStoreTools,
  LlmBrain,
  RulesBrain,
  type AgentTools,
  type Brain,
  type Channel,
} from '../agent/index.js';
import type { ChatModel } from '../providers/llm/index.js';
import type { Config } from '../config.js';
import type { KnowledgeBase } from '../knowledge/index.js';
import type { Notifier } from '../notify/index.js';
import type { Db } from '../store/index.js';
import type { BrainRequest } from '../telephony/twilio/index.js';
import type { Logger } from '../http/logger.js';

interface CallToolsDeps {
  db: Db;
  notifier: Notifier;
  knowledge: KnowledgeBase;
}

/** One conversation's brain request: a call's, or a chat's, WhatsApp's, browser call's (`channel`). */
export type ConversationBrainRequest = Omit<BrainRequest, 'channel'> & { channel?: Channel };

/**
 * The store-backed tools of one call (knowledge, lead, booking, emergency, question, transfer):
 * what the brain acts through, and what a Realtime call's tools run on.
 */
export function callToolsFactory(deps: CallToolsDeps): (req: ConversationBrainRequest) => AgentTools {
  const { db, notifier, knowledge } = deps;
  return ({ business, callSid, callerId, channel, log: callLog }) =>
    createStoreTools(
      {
        db,
        notifier,
        searchKnowledge: (id, q, signal) => knowledge.search(id, q, 3, signal),
        logger: callLog,
      },
      { business, callSid, channel: channel ?? 'phone', callerId },
    );
}

/**
 * The brain for one call: rules offline; an OpenAI-compatible LLM leads when configured, with the
 * rules as its fallback. Both act through the store-backed tools of that call.
 */
export function brainFactory(
  deps: CallToolsDeps & {
    config: Config;
    chatModel: ChatModel | undefined;
    log: Logger;
  },
): (req: ConversationBrainRequest) => Brain {
  const { config, chatModel, log } = deps;
  const toolsFor = callToolsFactory(deps);
  return (req) => {
    const { lifetime } = req;
    const tools = toolsFor(req);
    const rules = new RulesBrain({ tools, lifetime, logger: log });
    if (!chatModel || !config.llm) return rules;
    return new LlmBrain({
      model: chatModel,
      fallback: rules,
      tools,
      lifetime,
      logger: log,
      firstTokenTimeoutMs: config.llm.firstTokenTimeoutMs,
      maxRounds: config.llm.maxRounds,
    });
  };
}
